import Foundation
import XCTest

/// `hutch exec` into a detached busybox image container: output, exit
/// codes, -e/-w/-u/-d, the container's namespaces, capabilities and
/// seccomp filter, `-it` through a pty, and a stopped container refused.
final class ContainerExecTests: XCTestCase {
    func env(_ root: String) -> [String: String] { ["HUTCH_ROOT": root] }

    func startContainer(_ user: TestUser) throws -> (root: String, work: String) {
        let work = try Harness.tempDir(for: user, "exec")
        let rootfs = try Harness.busyboxRootfs(for: user)
        defer { Harness.removeTree(rootfs, as: user) }
        let root = work + "/store"
        XCTAssertStatus(Harness.sh("tar -C \(rootfs) -cf \(work)/bb.tar .", as: user), 0)
        XCTAssertStatus(Harness.hutch(["import", work + "/bb.tar", "busybox"], as: user, env: env(root)), 0)
        XCTAssertStatus(Harness.hutch(["run", "-d", "--name", "box", "busybox", "sleep", "313"], as: user, env: env(root)), 0)
        return (root, work)
    }

    func finish(_ user: TestUser, root: String, work: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertStatus(Harness.hutch(["rm", "-f", "box"], as: user, env: env(root)), 0, "", file: file, line: line)
        var ours: [String] = []
        let gone = Harness.waitUntil(timeout: 5) {
            ours = Harness.processes(of: user).filter { $0.contains(root) || $0.contains("sleep 313") }
            return ours.isEmpty
        }
        XCTAssertTrue(gone, "processes left behind: \(ours)", file: file, line: line)
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        XCTAssertFalse(mounts.contains(root), "mounts left behind", file: file, line: line)
        Harness.removeTree(work, as: user)
    }

    func testExecIntoARunningContainer() throws {
        try Harness.forEachUser { user in
            let (root, work) = try startContainer(user)
            defer { finish(user, root: root, work: work) }
            func exec(_ args: [String]) -> CommandResult { Harness.hutch(["exec"] + args, as: user, env: env(root)) }

            let hi = exec(["box", "echo", "hi"])
            XCTAssertStatus(hi, 0)
            XCTAssertEqual(hi.stdout, "hi\n")
            XCTAssertStatus(exec(["box", "sh", "-c", "exit 4"]), 4)
            let missing = exec(["box", "no-such-command"])
            XCTAssertStatus(missing, 127)
            XCTAssertTrue(missing.stderr.contains("executable file not found"), missing.stderr)
            XCTAssertStatus(exec(["box", "/etc/passwd"]), 126)

            // The namespaces of the container's command (pid 2): its processes, host name, network, mounts.
            let same = exec(["box", "sh", "-c",
                             "for n in user mnt pid uts ipc net; do [ \"$(readlink /proc/self/ns/$n)\" = \"$(readlink /proc/2/ns/$n)\" ] || echo differs $n; done; ps -o comm | grep -c sleep"])
            XCTAssertEqual(same.stdout, "1\n", same.output)
            let id = Harness.hutch(["ps", "-q"], as: user, env: env(root)).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertEqual(exec(["box", "hostname"]).stdout, id + "\n")
            // The same capabilities, no_new_privs and seccomp filter as the container's command (pid 2).
            let status = exec(["box", "sh", "-c",
                               "grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status; echo --; grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/2/status"])
            let halves = status.stdout.components(separatedBy: "--\n")
            XCTAssertEqual(halves.count, 2, status.output)
            XCTAssertEqual(halves.first, halves.last, status.output)
            XCTAssertTrue(status.stdout.contains("Seccomp:\t2\n"), status.output)

            // -e, -w, -u (root: see docs/run.md's Limits for other users with a subuid range).
            let opts = exec(["-e", "A=b", "-w", "/etc", "-u", "0:0", "box", "sh", "-c", "echo $A $(pwd) $(id -u):$(id -g)"])
            XCTAssertEqual(opts.stdout, "b /etc 0:0\n", opts.output)
            // -d returns at once; the command goes on in the container.
            XCTAssertStatus(exec(["-d", "box", "sh", "-c", "sleep 0.2; touch /tmp/detached"]), 0)
            XCTAssertTrue(Harness.waitUntil(timeout: 10, poll: 0.1) { exec(["box", "test", "-e", "/tmp/detached"]).status == 0 })
        }
    }

    func testExecInteractiveTerminal() throws {
        try Harness.forEachUser { user in
            let (root, work) = try startContainer(user)
            defer { finish(user, root: root, work: work) }
            try RunTerminalTests.driver.write(toFile: work + "/drive.py", atomically: true, encoding: .utf8)
            chmod(work + "/drive.py", 0o644)
            let r = Harness.run(["/usr/bin/env", "HUTCH_ROOT=" + root, "/usr/bin/python3", work + "/drive.py",
                                 Harness.hutch, "exec", "-it", "box", "sh"], as: user, timeout: 60)
            XCTAssertStatus(r, 0)
            // A pty of the container's own devpts, so `tty` names it.
            XCTAssertTrue(r.stdout.range(of: "\n/dev/pts/[0-9]+\n", options: .regularExpression) != nil, r.stdout)
            XCTAssertTrue(r.stdout.contains("33 101\n"), r.stdout)          // the window size came along
            XCTAssertTrue(r.stdout.contains("TERM=xterm\n"), r.stdout)
            XCTAssertTrue(r.stdout.contains("after-int\n"), r.stdout)        // Ctrl-C stopped sleep, not hutch
            XCTAssertTrue(r.stdout.hasSuffix("status=5\n"), r.stdout)
            // The container itself is untouched.
            XCTAssertTrue(Harness.hutch(["ps", "--format", "{{.Names}} {{.Status}}"], as: user, env: env(root)).stdout.hasPrefix("box Up"))
        }
    }

    func testExecIntoAStoppedContainerIsAClearError() throws {
        try Harness.forEachUser { user in
            let (root, work) = try startContainer(user)
            defer { finish(user, root: root, work: work) }
            XCTAssertStatus(Harness.hutch(["stop", "-t", "1", "box"], as: user, env: env(root)), 0)
            let r = Harness.hutch(["exec", "box", "true"], as: user, env: env(root))
            XCTAssertStatus(r, 1)
            XCTAssertTrue(r.stderr.hasPrefix("Error: container ") && r.stderr.hasSuffix(" is not running\n"), r.stderr)
            let unknown = Harness.hutch(["exec", "nobody-here", "true"], as: user, env: env(root))
            XCTAssertStatus(unknown, 1)
            XCTAssertEqual(unknown.stderr, "Error: No such container: nobody-here\n")
        }
    }
}
