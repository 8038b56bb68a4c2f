import Foundation
import XCTest

/// `hutch run --rootfs`: exit codes, options, ids, isolation, as both test users.
final class RunTests: XCTestCase {
    /// Runs `hutch run --rootfs ROOTFS args...` for each user on a fresh busybox rootfs.
    func withRootfs(_ body: (TestUser, String) throws -> Void) throws {
        try Harness.forEachUser { user in
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            try body(user, rootfs)
            RunTests.assertNothingLeft(user, rootfs: rootfs)
        }
    }

    func run(_ user: TestUser, _ rootfs: String, _ args: [String], stdin: String? = nil) -> CommandResult {
        Harness.hutch(["run", "--rootfs", rootfs] + args, as: user, stdin: stdin, timeout: 60)
    }

    static func uid(of user: TestUser) -> UInt32 { getpwnam(user.name)!.pointee.pw_uid }

    /// No process is left in the container (its root is the rootfs) or
    /// running hutch on it. Other tests may run as the same users at the
    /// same time, so only this rootfs's processes count.
    static func assertNothingLeft(_ user: TestUser, rootfs: String, file: StaticString = #filePath, line: UInt = #line) {
        var left: [String] = []
        let gone = Harness.waitUntil(timeout: 5) {
            left = RunTests.processes(using: rootfs)
            return left.isEmpty
        }
        XCTAssertTrue(gone, "processes left behind: \(left)", file: file, line: line)
    }

    static func processes(using rootfs: String) -> [String] {
        let real = URL(fileURLWithPath: rootfs).resolvingSymlinksInPath().path
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
        return pids.compactMap { pid in
            let root = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/root")) ?? ""
            let cmdline = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
            guard root == real || root == rootfs || cmdline.contains(rootfs) || cmdline.contains(real) else { return nil }
            return "\(pid) \(cmdline.replacingOccurrences(of: "\0", with: " "))"
        }
    }

    func testExitCodes() throws {
        try withRootfs { user, rootfs in
            XCTAssertStatus(run(user, rootfs, ["true"]), 0)
            XCTAssertStatus(run(user, rootfs, ["sh", "-c", "exit 3"]), 3)
            XCTAssertStatus(run(user, rootfs, ["sh", "-c", "kill -9 $$"]), 137)
            XCTAssertStatus(run(user, rootfs, ["sh", "-c", "kill -TERM $$"]), 143)

            let missing = run(user, rootfs, ["no-such-command"])
            XCTAssertStatus(missing, 127)
            XCTAssertEqual(missing.stderr, "Error: exec: \"no-such-command\": executable file not found in $PATH\n")
            let missingPath = run(user, rootfs, ["/no/such/file"])
            XCTAssertStatus(missingPath, 127)
            XCTAssertTrue(missingPath.stderr.contains("no such file or directory"), missingPath.stderr)
            let notExecutable = run(user, rootfs, ["/etc/passwd"])
            XCTAssertStatus(notExecutable, 126)
            XCTAssertEqual(notExecutable.stderr, "Error: exec: \"/etc/passwd\": permission denied\n")
            let directory = run(user, rootfs, ["/etc"])
            XCTAssertStatus(directory, 126)
        }
    }

    func testBadInputIsOneLineAndExit125() throws {
        try withRootfs { user, rootfs in
            let cases: [[String]] = [
                ["-v", "relative/path:/data", "true"],
                ["-v", "/no/such/host/path:/data", "true"],
                ["-v", "/tmp", "true"],
                ["-u", "nosuchuser", "true"],
                ["--tmpfs", "relative", "true"],
                ["--network", "nosuchnet", "true"],
                ["--ulimit", "bogus=1", "true"],
                ["--cap-add", "CAP_BOGUS", "true"],
                ["--security-opt", "bogus", "true"],
                ["--env-file", "/no/such/env", "true"],
                ["-w", "relative", "true"],
            ]
            for args in cases {
                let r = run(user, rootfs, args)
                XCTAssertStatus(r, 125, args.joined(separator: " "))
                XCTAssertTrue(r.stderr.hasPrefix("Error: "), r.stderr)
                XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr)
            }
            let noRootfs = Harness.hutch(["run", "--rootfs", rootfs + "/missing", "true"], as: user)
            XCTAssertStatus(noRootfs, 125)
            XCTAssertTrue(noRootfs.stderr.contains("no such directory"), noRootfs.stderr)
        }
    }

    func testOutputEnvironmentWorkdirHostname() throws {
        try withRootfs { user, rootfs in
            let envFile = rootfs + "/../envfile-\(UUID().uuidString.prefix(6))"
            try "# comment\nFROM_FILE=yes\n".write(toFile: envFile, atomically: true, encoding: .utf8)
            chmod(envFile, 0o644)
            defer { unlink(envFile) }
            let r = run(user, rootfs, ["-e", "A=one", "-e", "B=two words", "--env-file", envFile, "-w", "/new/dir",
                                       "--hostname", "box", "sh", "-c", "echo $A/$B/$FROM_FILE; pwd; hostname; echo $HOME; echo $PATH"])
            XCTAssertStatus(r, 0)
            XCTAssertEqual(r.stdout, "one/two words/yes\n/new/dir\nbox\n/root\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n")

            let h = run(user, rootfs, ["sh", "-c", "hostname; echo $HOSTNAME"])
            let lines = h.stdout.split(separator: "\n")
            XCTAssertEqual(lines.count, 2)
            XCTAssertEqual(lines.first?.count, 12)
            XCTAssertEqual(lines.first, lines.last)

            let input = run(user, rootfs, ["-i", "cat"], stdin: "through stdin\n")
            XCTAssertEqual(input.stdout, "through stdin\n")
            let noInput = run(user, rootfs, ["cat"], stdin: "not passed\n")
            XCTAssertStatus(noInput, 0)
            XCTAssertEqual(noInput.stdout, "")
        }
    }

    func testUsersAndIDMaps() throws {
        try withRootfs { user, rootfs in
            let hostUID = RunTests.uid(of: user)
            let root = run(user, rootfs, ["sh", "-c", "id -u; id -g; cat /proc/self/uid_map"])
            XCTAssertStatus(root, 0)
            let rows = root.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
            XCTAssertEqual(Array(rows.prefix(2)), ["0", "0"])
            if user.hasSubuid {
                XCTAssertEqual(Array(rows.dropFirst(2)), ["0 \(hostUID) 1", "1 1000000 65535"])
            } else {
                XCTAssertEqual(Array(rows.dropFirst(2)), ["0 \(hostUID) 1"])
            }

            let nobody = run(user, rootfs, ["-u", "nobody", "sh", "-c", "id; echo $HOME"])
            XCTAssertStatus(nobody, 0)
            XCTAssertEqual(nobody.stdout, "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n/nonexistent\n")
            let numeric = run(user, rootfs, ["-u", "1000:33", "id"])
            XCTAssertEqual(numeric.stdout, "uid=1000(student) gid=33(www-data) groups=33(www-data)\n")

            let keep = run(user, rootfs, ["--userns=keep-id", "sh", "-c", "id -u; id -g"])
            XCTAssertStatus(keep, 0)
            XCTAssertEqual(keep.stdout, "\(hostUID)\n\(getpwnam(user.name)!.pointee.pw_gid)\n")
        }
    }

    func testPrivilegesAreDropped() throws {
        try withRootfs { user, rootfs in
            let status = "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status | tr -s '\\t ' ' '"
            let root = run(user, rootfs, ["sh", "-c", status])
            XCTAssertEqual(root.stdout, "CapEff: 00000000a80425fb\nCapBnd: 00000000a80425fb\nNoNewPrivs: 1\n")
            let nonRoot = run(user, rootfs, ["-u", "1000", "sh", "-c", status])
            XCTAssertEqual(nonRoot.stdout, "CapEff: 0000000000000000\nCapBnd: 00000000a80425fb\nNoNewPrivs: 1\n")
            let nobody = run(user, rootfs, ["-u", "65534", "sh", "-c", status])
            XCTAssertEqual(nobody.stdout, "CapEff: 0000000000000000\nCapBnd: 00000000a80425fb\nNoNewPrivs: 1\n")
            let dropped = run(user, rootfs, ["--cap-drop", "ALL", "--cap-add", "chown", "sh", "-c", status])
            XCTAssertEqual(dropped.stdout, "CapEff: 0000000000000001\nCapBnd: 0000000000000001\nNoNewPrivs: 1\n")
            let added = run(user, rootfs, ["--cap-add", "NET_ADMIN", "--cap-drop", "CAP_KILL", "sh", "-c", status])
            XCTAssertEqual(added.stdout, "CapEff: 00000000a80435db\nCapBnd: 00000000a80435db\nNoNewPrivs: 1\n")
            // The mount namespace's root cannot undo the setup.
            let mount = run(user, rootfs, ["sh", "-c", "mount -t tmpfs none /mnt 2>&1 || echo refused"])
            XCTAssertTrue(mount.stdout.contains("refused"), mount.stdout)
        }
    }

    func testMaskedAndReadOnlyPaths() throws {
        try withRootfs { user, rootfs in
            let r = run(user, rootfs, ["sh", "-c", """
                for f in /proc/keys /proc/timer_list /proc/interrupts /proc/kcore /proc/sched_debug; do
                    [ -e $f ] && [ -n "$(cat $f 2>/dev/null | head -c 1)" ] && echo "visible $f"; done
                for d in /proc/acpi /proc/scsi /sys/firmware; do [ -d $d ] && [ -n "$(ls -A $d)" ] && echo "visible $d"; done
                echo x > /proc/sys/kernel/hostname 2>/dev/null && echo "writable /proc/sys"
                echo 1 > /proc/sysrq-trigger 2>/dev/null && echo "writable sysrq"
                touch /sys/x 2>/dev/null && echo "writable /sys"
                echo done
                """])
            XCTAssertStatus(r, 0)
            XCTAssertEqual(r.stdout, "done\n")
        }
    }

    func testReadOnlyRootAndTmpfs() throws {
        try withRootfs { user, rootfs in
            let r = run(user, rootfs, ["--read-only", "--tmpfs", "/scratch", "sh", "-c",
                                       "touch /etc/x 2>/dev/null && echo wrote-root; touch /scratch/x && echo tmpfs-ok; touch /dev/shm/x && echo shm-ok; grep ' /scratch ' /proc/mounts | cut -d' ' -f3"])
            XCTAssertStatus(r, 0)
            XCTAssertEqual(r.stdout, "tmpfs-ok\nshm-ok\ntmpfs\n")
            XCTAssertFalse(FileManager.default.fileExists(atPath: rootfs + "/etc/x"))
            // Without --read-only the rootfs is the user's to change.
            XCTAssertStatus(run(user, rootfs, ["touch", "/etc/written"]), 0)
            XCTAssertTrue(FileManager.default.fileExists(atPath: rootfs + "/etc/written"))
        }
    }

    func testVolumes() throws {
        try withRootfs { user, rootfs in
            let dir = try Harness.tempDir(for: user, "vol")
            defer { Harness.removeTree(dir, as: user) }
            try "from host\n".write(toFile: dir + "/in.txt", atomically: true, encoding: .utf8)
            chmod(dir + "/in.txt", 0o644)
            let r = run(user, rootfs, ["-v", "\(dir):/data", "-v", "\(dir):/ro:ro", "sh", "-c",
                                       "cat /data/in.txt; echo inside > /data/out.txt; touch /ro/x 2>/dev/null || echo ro-refused"])
            XCTAssertStatus(r, 0)
            XCTAssertEqual(r.stdout, "from host\nro-refused\n")
            var st = stat()
            XCTAssertEqual(stat(dir + "/out.txt", &st), 0)
            XCTAssertEqual(st.st_uid, RunTests.uid(of: user), "a file root wrote inside belongs to the user outside")
            XCTAssertEqual(try String(contentsOfFile: dir + "/out.txt", encoding: .utf8), "inside\n")

            // keep-id: the user's own id inside too.
            let k = run(user, rootfs, ["--userns", "keep-id", "-v", "\(dir):/data", "sh", "-c", "echo k > /data/keep.txt"])
            XCTAssertStatus(k, 0)
            XCTAssertEqual(stat(dir + "/keep.txt", &st), 0)
            XCTAssertEqual(st.st_uid, RunTests.uid(of: user))

            // A symlink in the rootfs cannot aim a mount point at the host.
            let escape = rootfs + "/escape"
            XCTAssertStatus(Harness.run(["/bin/ln", "-s", "/../../../../..\(dir)", escape], as: user), 0)
            let e = run(user, rootfs, ["-v", "\(dir):/escape/sub", "true"])
            XCTAssertStatus(e, 0)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/sub"), "the mount point was made on the host")
            XCTAssertTrue(FileManager.default.fileExists(atPath: rootfs + dir + "/sub"))
        }
    }

    func testNetworkNoneHasOnlyLoopbackUp() throws {
        try withRootfs { user, rootfs in
            let r = run(user, rootfs, ["--network", "none", "sh", "-c", "ls /sys/class/net; cat /sys/class/net/lo/operstate; ping -c 1 -W 1 127.0.0.1 >/dev/null && echo ping-ok"])
            XCTAssertStatus(r, 0)
            XCTAssertEqual(r.stdout, "lo\nunknown\nping-ok\n")
            let host = run(user, rootfs, ["sh", "-c", "ls /sys/class/net | wc -l"])
            XCTAssertGreaterThan(Int(host.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, 1)
        }
    }

    func testUlimit() throws {
        try withRootfs { user, rootfs in
            let r = run(user, rootfs, ["--ulimit", "nofile=100:200", "sh", "-c", "ulimit -n; ulimit -Hn"])
            XCTAssertStatus(r, 0)
            XCTAssertEqual(r.stdout, "100\n200\n")
            let tooHigh = run(user, rootfs, ["--ulimit", "nofile=999999999", "true"])
            XCTAssertStatus(tooHigh, 125)
        }
    }
}
