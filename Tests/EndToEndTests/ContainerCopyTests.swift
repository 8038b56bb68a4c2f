import Foundation
import XCTest

/// `hutch cp` both ways (running and stopped image containers, symlinks
/// kept inside the root, tar streams) and `hutch top`, as both users.
final class ContainerCopyTests: XCTestCase {
    func env(_ root: String) -> [String: String] { ["HUTCH_ROOT": root] }

    func testCopyBothWaysAndTop() throws {
        try Harness.forEachUser { user in
            let work = try Harness.tempDir(for: user, "cp")
            defer { Harness.removeTree(work, as: user) }
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            let root = work + "/store"
            func hutch(_ args: [String]) -> CommandResult { Harness.hutch(args, as: user, env: env(root)) }
            XCTAssertStatus(Harness.sh("tar -C \(rootfs) -cf \(work)/bb.tar . && mkdir \(work)/out && echo hello > \(work)/hf", as: user), 0)
            XCTAssertStatus(hutch(["import", work + "/bb.tar", "busybox"]), 0)
            XCTAssertStatus(hutch(["run", "-d", "--name", "c", "busybox", "sh", "-c",
                                   "ln -s / /escape; ln -s /etc/passwd /pw; mkdir -p /data/sub; echo deep > /data/sub/f; exec sleep 317"]), 0)
            XCTAssertTrue(Harness.waitUntil(timeout: 10) { hutch(["exec", "c", "test", "-e", "/data/sub/f"]).status == 0 })

            // top: Docker's ps -ef columns, the container's command, not hutch's init.
            let top = hutch(["top", "c"])
            XCTAssertStatus(top, 0)
            let lines = top.stdout.split(separator: "\n")
            XCTAssertTrue(lines.first?.hasPrefix("UID ") == true && lines.first?.hasSuffix(" CMD") == true, top.stdout)
            XCTAssertEqual(lines.count, 2, top.stdout)
            XCTAssertTrue(top.stdout.contains("sleep 317"), top.stdout)

            // Out of the container: a file into a folder, a folder to a new name, a link as a link.
            XCTAssertStatus(hutch(["cp", "c:/etc/passwd", work + "/out/"]), 0)
            XCTAssertStatus(hutch(["cp", "c:/data", work + "/out/data"]), 0)
            XCTAssertStatus(hutch(["cp", "c:/pw", work + "/out/pwlink"]), 0)
            XCTAssertStatus(hutch(["cp", "-L", "c:/pw", work + "/out/pwfile"]), 0)
            let listed = Harness.sh("cd \(work)/out && head -1 passwd && cat data/sub/f && readlink pwlink && head -1 pwfile", as: user)
            XCTAssertEqual(listed.stdout, "root:x:0:0:root:/root:/bin/sh\ndeep\n/etc/passwd\nroot:x:0:0:root:/root:/bin/sh\n", listed.output)
            // A symlink to / inside the container stays inside it.
            XCTAssertStatus(hutch(["cp", "c:/escape/etc/group", work + "/out/group"]), 0)
            XCTAssertEqual(Harness.sh("head -1 \(work)/out/group", as: user).stdout, "root:x:0:\n")
            XCTAssertStatus(hutch(["cp", work + "/hf", "c:/escape/../../tmp/escaped"]), 0)
            XCTAssertEqual(hutch(["exec", "c", "cat", "/tmp/escaped"]).stdout, "hello\n")
            XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/escaped"))
            // Into the container, and a tar stream out.
            XCTAssertStatus(hutch(["cp", work + "/hf", "c:/root/"]), 0)
            XCTAssertEqual(hutch(["exec", "c", "cat", "/root/hf"]).stdout, "hello\n")
            let stream = Harness.sh("HUTCH_ROOT=\(root) \(Harness.hutch) cp c:/data - | tar -tf - | sort", as: user)
            XCTAssertEqual(stream.stdout, "data/\ndata/sub/\ndata/sub/f\n", stream.output)
            let missing = hutch(["cp", "c:/no/such", work + "/out/x"])
            XCTAssertStatus(missing, 1)
            XCTAssertTrue(missing.stderr.contains("Could not find the file /no/such"), missing.stderr)

            // A stopped container: its upper layer over the image, both ways.
            XCTAssertStatus(hutch(["stop", "-t", "1", "c"]), 0)
            XCTAssertStatus(hutch(["cp", "c:/root/hf", work + "/out/hf2"]), 0)
            XCTAssertEqual(Harness.sh("cat \(work)/out/hf2", as: user).stdout, "hello\n")
            XCTAssertStatus(hutch(["cp", work + "/hf", "c:/etc/added"]), 0)
            XCTAssertStatus(hutch(["start", "c"]), 0)
            XCTAssertEqual(hutch(["exec", "c", "cat", "/etc/added"]).stdout, "hello\n")
            XCTAssertStatus(hutch(["rm", "-f", "c"]), 0)
            let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
            XCTAssertFalse(mounts.contains(root), "mounts left behind")
            var ours: [String] = []
            XCTAssertTrue(Harness.waitUntil(timeout: 5) {
                ours = Harness.processes(of: user).filter { $0.contains(root) || $0.contains("sleep 317") }
                return ours.isEmpty
            }, "processes left behind: \(ours)")
        }
    }

    /// A path under a `-v` mount is the host folder's, as Docker's cp sees
    /// volumes: in and out through it, and a read-only one refused.
    func testCopyThroughVolumes() throws {
        try Harness.forEachUser { user in
            let work = try Harness.tempDir(for: user, "cpv")
            defer { Harness.removeTree(work, as: user) }
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            let root = work + "/store"
            func hutch(_ args: [String]) -> CommandResult { Harness.hutch(args, as: user, env: env(root)) }
            XCTAssertStatus(Harness.sh("tar -C \(rootfs) -cf \(work)/bb.tar . && mkdir \(work)/vol \(work)/ro \(work)/out && echo hello > \(work)/hf && echo inside > \(work)/vol/there", as: user), 0)
            XCTAssertStatus(hutch(["import", work + "/bb.tar", "busybox"]), 0)
            XCTAssertStatus(hutch(["run", "-d", "--name", "v", "-v", work + "/vol:/data", "-v", work + "/ro:/data/ro:ro",
                                   "busybox", "sleep", "318"]), 0)
            XCTAssertStatus(hutch(["cp", work + "/hf", "v:/data/"]), 0)
            XCTAssertEqual(Harness.sh("cat \(work)/vol/hf", as: user).stdout, "hello\n")
            XCTAssertEqual(hutch(["exec", "v", "cat", "/data/hf"]).stdout, "hello\n")
            XCTAssertStatus(hutch(["cp", "v:/data/there", work + "/out/"]), 0)
            XCTAssertEqual(Harness.sh("cat \(work)/out/there", as: user).stdout, "inside\n")
            let refused = hutch(["cp", work + "/hf", "v:/data/ro/hf"])
            XCTAssertStatus(refused, 1)
            XCTAssertTrue(refused.stderr.contains("mounted volume is marked read-only"), refused.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/ro/hf"))
            XCTAssertStatus(hutch(["rm", "-f", "v"]), 0)
            var ours: [String] = []
            XCTAssertTrue(Harness.waitUntil(timeout: 5) {
                ours = Harness.processes(of: user).filter { $0.contains(root) || $0.contains("sleep 318") }
                return ours.isEmpty
            }, "processes left behind: \(ours)")
        }
    }
}
