import Foundation
import XCTest

/// A build RUN of a user with a subuid range writes through the kernel's
/// overlay stacked on a read-only hutch-unionfs view of the layers (issue
/// 04's many-files row); without a range, or with `union = "fuse"`, through
/// hutch-unionfs. Either way the image carries the owners the RUN gave, and
/// the store holds only the user's own files.
final class BuildOverlayTests: XCTestCase {
    static let dockerfile = """
        FROM busybox
        RUN grep ' / ' /proc/mounts | cut -d' ' -f1,3 > /root-mount
        RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group \\
            && mkdir /data && chown 1000:1000 /data && touch /data/x && chown 1000 /data/x && chmod 4755 /data/x \\
            && rm /bin/true
        USER app
        RUN touch /data/by-app

        """

    func testRunStepsWriteThroughTheKernelOverlayWithASubuidRange() throws {
        try Harness.forEachUser { user in
            let work = try Harness.tempDir(for: user, "buildovl")
            defer { Harness.removeTree(work, as: user) }
            let root = work + "/store"
            let env = ["HUTCH_ROOT": root, "XDG_CONFIG_HOME": work + "/config"]
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            XCTAssertStatus(Harness.sh("tar -C \(rootfs) -cf \(work)/bb.tar . && mkdir -p \(work)/ctx \(work)/config/hutch", as: user), 0)
            XCTAssertStatus(Harness.hutch(["import", work + "/bb.tar", "busybox"], as: user, env: env), 0)
            XCTAssertStatus(Harness.run(["/usr/bin/tee", work + "/ctx/Dockerfile"], as: user, stdin: Self.dockerfile), 0)

            for union in ["auto", "fuse"] {
                XCTAssertStatus(Harness.run(["/usr/bin/tee", work + "/config/hutch/config.toml"], as: user,
                                            stdin: "[storage]\nunion = \"\(union)\"\n"), 0)
                let tag = "owned-\(union)"
                let build = Harness.hutch(["build", "--no-cache", "-t", tag, work + "/ctx"], as: user, env: env, timeout: 300)
                XCTAssertStatus(build, 0)
                let mount = Harness.hutch(["run", "--rm", tag, "cat", "/root-mount"], as: user, env: env)
                XCTAssertStatus(mount, 0)
                let kernel = user.hasSubuid && union == "auto"
                XCTAssertEqual(mount.stdout.hasPrefix("overlay overlay"), kernel,
                               "\(user), union \(union): the RUN's root was \(mount.stdout)")

                // The owners the RUN gave, in the image and in the committed layer.
                let stat = Harness.hutch(["run", "--rm", tag, "stat", "-c", "%u:%g %a %n", "/data", "/data/x", "/data/by-app"],
                                         as: user, env: env)
                XCTAssertStatus(stat, 0)
                if user.hasSubuid {
                    XCTAssertEqual(stat.stdout, "1000:1000 755 /data\n1000:0 4755 /data/x\n1000:1000 644 /data/by-app\n")
                }
                let inspect = Harness.hutch(["inspect", tag], as: user, env: env)
                let list = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [[String: Any]]
                let layers = try XCTUnwrap((list?.first?["RootFS"] as? [String: Any])?["Layers"] as? [String])
                XCTAssertEqual(layers.count, 4)
                func listing(_ layer: String) -> [Substring] {
                    let hex = layer.replacingOccurrences(of: "sha256:", with: "")
                    return Harness.sh("tar -tvnf '\(root)/blobs/sha256/\(hex)'", as: user).stdout.split(separator: "\n")
                }
                let third = listing(layers[2])
                XCTAssertTrue(third.contains { $0.hasPrefix("drwxr-xr-x 1000/1000") && $0.hasSuffix(" data/") }, "\(third)")
                XCTAssertTrue(third.contains { $0.hasPrefix("-rwsr-xr-x 1000/0") && $0.hasSuffix(" data/x") }, "\(third)")
                // A file deleted from a lower layer is a whiteout in the layer.
                XCTAssertTrue(third.contains { $0.hasSuffix("bin/.wh.true") }, "\(third)")
                XCTAssertTrue(listing(layers[3]).contains { $0.contains("1000/1000") && $0.hasSuffix("data/by-app") })
            }
            // Nothing in the store belongs to a subordinate id: the user can read and delete it all.
            let foreign = Harness.sh("find '\(root)' ! -user \(user.name) -print -quit", as: user)
            XCTAssertEqual(foreign.stdout, "", "\(user): files in the store not owned by the user")
            XCTAssertStatus(Harness.hutch(["rmi", "owned-auto", "owned-fuse"], as: user, env: env), 0)
        }
    }
}
