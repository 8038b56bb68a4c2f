import Foundation
import XCTest

/// `rmi -f` of an image only stopped containers use: the image goes at
/// once, its layers stay for those containers, and go with the last of them
/// (`rm`, `container prune`), as `rmi` would have removed them.
final class ImageRemovalTests: XCTestCase {
    func testLayersKeptForStoppedContainersGoWithTheLastOne() throws {
        try Harness.forEachUser { user in
            let work = try Harness.tempDir(for: user, "rmilayers")
            defer { Harness.removeTree(work, as: user) }
            let root = work + "/store"
            let env = ["HUTCH_ROOT": root]
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            XCTAssertStatus(Harness.sh("tar -C \(rootfs) -cf \(work)/bb.tar . && mkdir \(work)/other && echo x > \(work)/other/x && tar -C \(work)/other -cf \(work)/other.tar .", as: user), 0)
            XCTAssertStatus(Harness.hutch(["import", work + "/bb.tar", "busybox"], as: user, env: env), 0)
            XCTAssertStatus(Harness.hutch(["import", work + "/other.tar", "other"], as: user, env: env), 0)
            func layers() -> [String] { Harness.sh("ls \(root)/layers", as: user).stdout.split(separator: "\n").map(String.init) }
            func blobs() -> Int { Int(Harness.sh("ls \(root)/blobs/sha256 | wc -l", as: user).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1 }
            let before = layers()
            XCTAssertEqual(before.count, 2)
            let otherBlobs = 3   // the other image's layer, config and manifest

            for name in ["first", "second"] {
                XCTAssertStatus(Harness.hutch(["run", "--name", name, "busybox", "true"], as: user, env: env, timeout: 60), 0)
            }
            let forced = Harness.hutch(["rmi", "-f", "busybox"], as: user, env: env)
            XCTAssertStatus(forced, 0)
            XCTAssertEqual(forced.stdout.split(separator: "\n").count, 2, "untagged and deleted, no layer: \(forced.stdout)")
            XCTAssertEqual(layers(), before, "the stopped containers still run on the layer")
            XCTAssertStatus(Harness.hutch(["start", "-a", "first"], as: user, env: env, timeout: 60), 0)

            XCTAssertStatus(Harness.hutch(["rm", "first"], as: user, env: env), 0)
            XCTAssertEqual(layers(), before, "one container still uses it")
            let prune = Harness.hutch(["container", "prune", "-f"], as: user, env: env)
            XCTAssertStatus(prune, 0)
            let left = layers()
            XCTAssertEqual(left.count, 1, "the last container took its image's layer with it: \(left)")
            XCTAssertEqual(blobs(), otherBlobs)
            XCTAssertEqual(Harness.hutch(["images", "--format", "{{.Repository}}"], as: user, env: env).stdout, "other\n")
            // The other image's layer was never touched.
            XCTAssertStatus(Harness.hutch(["history", "other"], as: user, env: env), 0)
        }
    }
}
