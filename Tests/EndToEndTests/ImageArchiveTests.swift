import Foundation
import XCTest

/// `hutch save` / `hutch load` as both test users, cross-checked with skopeo.
final class ImageArchiveTests: XCTestCase {
    func testSaveLoadDockerArchiveAndOCILayoutWithSkopeo() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/skopeo") else {
            return XCTFail("skopeo is missing (Debian package skopeo)")
        }
        try Harness.forEachUser { user in
            let work = try Harness.tempDir(for: user, "archive")
            defer { Harness.removeTree(work, as: user) }
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            let one = ["HUTCH_ROOT": work + "/one"]
            XCTAssertStatus(Harness.sh("tar -C \(rootfs) -czf \(work)/bb.tgz .", as: user), 0)
            let imported = Harness.hutch(["import", "-c", "CMD [\"sh\"]", work + "/bb.tgz", "busybox:e2e"], as: user, env: one)
            XCTAssertStatus(imported, 0)
            let id = imported.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

            // docker-archive: to a file, and to a pipe (gzip'd on the way).
            XCTAssertStatus(Harness.hutch(["save", "-o", work + "/bb.tar", "busybox:e2e"], as: user, env: one), 0)
            XCTAssertStatus(Harness.sh("hutch save busybox:e2e | gzip > \(work)/bb.tar.gz", as: user, env: one), 0)
            let listing = Harness.sh("tar tf \(work)/bb.tar", as: user)
            XCTAssertTrue(listing.stdout.contains("manifest.json") && listing.stdout.contains("repositories"), listing.stdout)
            let inspect = Harness.run(["/usr/bin/skopeo", "inspect", "docker-archive:\(work)/bb.tar"], as: user)
            XCTAssertStatus(inspect, 0)
            let info = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any]
            XCTAssertEqual((info?["Layers"] as? [Any])?.count, 1, inspect.stdout)

            let two = ["HUTCH_ROOT": work + "/two"]
            let loaded = Harness.hutch(["load", "-i", work + "/bb.tar.gz"], as: user, env: two)
            XCTAssertStatus(loaded, 0)
            XCTAssertEqual(loaded.stdout, "Loaded image: busybox:e2e\n")
            XCTAssertEqual(Harness.hutch(["images", "-q", "--no-trunc"], as: user, env: two).stdout, id + "\n")
            let fromStdin = Harness.sh("hutch load < \(work)/bb.tar", as: user, env: two)
            XCTAssertEqual(fromStdin.stdout, "Loaded image: busybox:e2e\n", fromStdin.stderr)

            // OCI layout: skopeo reads what hutch wrote...
            XCTAssertStatus(Harness.hutch(["save", "--format", "oci", "-o", work + "/oci.tar", "busybox:e2e"], as: user, env: one), 0)
            XCTAssertStatus(Harness.sh("mkdir \(work)/oci && tar -C \(work)/oci -xf \(work)/oci.tar", as: user), 0)
            XCTAssertStatus(Harness.run(["/usr/bin/skopeo", "inspect", "oci:\(work)/oci:e2e"], as: user), 0)
            // ...and hutch loads what skopeo wrote, from docker-archive to OCI layout.
            XCTAssertStatus(Harness.run(["/usr/bin/skopeo", "copy", "-q", "docker-archive:\(work)/bb.tar",
                                         "oci:\(work)/sko:busybox:sko"], as: user), 0)
            XCTAssertStatus(Harness.sh("tar -C \(work)/sko -cf \(work)/sko.tar .", as: user), 0)
            let three = ["HUTCH_ROOT": work + "/three"]
            let fromSkopeo = Harness.hutch(["load", "-i", work + "/sko.tar"], as: user, env: three)
            XCTAssertStatus(fromSkopeo, 0)
            XCTAssertEqual(fromSkopeo.stdout, "Loaded image: busybox:sko\n")
            XCTAssertStatus(Harness.hutch(["history", "busybox:sko"], as: user, env: three), 0)
            // skopeo's docker-archive (its own layout, with layer symlinks) loads too.
            XCTAssertStatus(Harness.run(["/usr/bin/skopeo", "copy", "-q", "oci:\(work)/sko:busybox:sko",
                                         "docker-archive:\(work)/sko-docker.tar:busybox:again"], as: user), 0)
            let again = Harness.hutch(["load", "-i", work + "/sko-docker.tar"], as: user, env: three)
            XCTAssertEqual(again.stdout, "Loaded image: busybox:again\n", again.stderr)

            // A truncated archive: a clear error, and nothing of it in the store.
            let four = ["HUTCH_ROOT": work + "/four"]
            let cut = Harness.sh("head -c 600000 \(work)/bb.tar | hutch load", as: user, env: four)
            XCTAssertEqual(cut.status, 125)
            XCTAssertTrue(cut.stderr.hasPrefix("Error: cannot load image archive"), cut.stderr)
            XCTAssertEqual(Harness.hutch(["images", "-q"], as: user, env: four).stdout, "")
            XCTAssertEqual(Harness.sh("ls \(work)/four/blobs/sha256 \(work)/four/blobs/tmp \(work)/four/layers", as: user).stdout
                .split(separator: "\n").filter { !$0.hasSuffix(":") && !$0.isEmpty }, [])
            // Binary to a terminal: refused, as Docker does.
            let tty = Harness.sh("script -qec 'hutch save busybox:e2e' /dev/null", as: user, env: one)
            XCTAssertNotEqual(tty.status, 0)
            XCTAssertTrue(tty.stdout.contains("Error: cowardly refusing to save to a terminal. Use the -o flag or redirect"), tty.stdout)
            let missing = Harness.hutch(["save", "-o", work + "/x.tar", "nosuch"], as: user, env: one)
            XCTAssertEqual(missing.stderr, "Error: No such image: nosuch:latest\n")
            XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/x.tar"))
        }
    }
}
