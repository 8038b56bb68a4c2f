import Foundation
import XCTest

/// `hutch run -it`: a real terminal inside, driven through a pty from
/// python3's pty module, and the host terminal restored afterwards.
final class RunTerminalTests: XCTestCase {
    /// Drives `hutch run -it ... sh` in a pty of its own: sets a window size,
    /// types commands and a Ctrl-C, and prints the transcript, the exit
    /// status and whether the terminal's modes came back as they were.
    static let driver = #"""
    import os, pty, sys, time, select, termios, struct, fcntl, signal
    argv = sys.argv[1:]
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
        os.execv(argv[0], argv)
    out = b""
    def pump(until=None, timeout=10.0):
        global out
        end = time.time() + timeout
        while time.time() < end:
            if until is not None and until in out:
                return True
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    d = os.read(fd, 4096)
                except OSError:
                    return False
                if not d:
                    return False
                out += d
        return until is None
    before = None
    pump(b"# ")
    before_child = termios.tcgetattr(fd)
    os.write(fd, b"tty; stty size; echo TERM=$TERM\r")
    pump(b"TERM=xterm")
    os.write(fd, b"sleep 30\r")
    time.sleep(0.3)
    os.write(fd, b"\x03")
    pump(b"# ", 5)
    os.write(fd, b"kill -WINCH $$; echo after-int; exit 5\r")
    pump(None, 10)
    _, st = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
    sys.stdout.write("\nstatus=%d\n" % os.waitstatus_to_exitcode(st))
    """#

    func testInteractiveTerminal() throws {
        try Harness.forEachUser { user in
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            let dir = try Harness.tempDir(for: user, "pty")
            defer { Harness.removeTree(dir, as: user) }
            try RunTerminalTests.driver.write(toFile: dir + "/drive.py", atomically: true, encoding: .utf8)
            chmod(dir + "/drive.py", 0o644)
            let r = Harness.run(["/usr/bin/python3", dir + "/drive.py", Harness.hutch, "run", "-it", "--rootfs", rootfs, "sh"],
                                as: user, timeout: 60)
            XCTAssertStatus(r, 0)
            XCTAssertTrue(r.stdout.contains("/dev/console\n"), r.stdout)     // a terminal of its own
            XCTAssertTrue(r.stdout.contains("33 101\n"), r.stdout)          // the window size came along
            XCTAssertTrue(r.stdout.contains("TERM=xterm\n"), r.stdout)
            XCTAssertTrue(r.stdout.contains("^C"), r.stdout)                 // Ctrl-C went in as a byte...
            XCTAssertTrue(r.stdout.contains("after-int\n"), r.stdout)        // ...and stopped sleep, not hutch
            XCTAssertTrue(r.stdout.hasSuffix("status=5\n"), r.stdout)
            RunTests.assertNothingLeft(user, rootfs: rootfs)
        }
    }

    /// `start -ai` after `run -it --name` ended: the same shell again on a
    /// terminal; `start -i` of a container made with `-i` takes piped input.
    func testStartAttachesInputAgain() throws {
        try Harness.forEachUser { user in
            let rootfs = try Harness.busyboxRootfs(for: user)
            let root = try Harness.tempDir(for: user, "start-i")
            defer { Harness.removeTree(rootfs, as: user); Harness.removeTree(root, as: user) }
            let env = ["HUTCH_ROOT": root]
            try RunTerminalTests.driver.write(toFile: root + "-drive.py", atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: root + "-drive.py") }
            chmod(root + "-drive.py", 0o644)
            for args in [["run", "-it", "--name", "shell", "--network", "none", "--rootfs", rootfs, "sh"], ["start", "-ai", "shell"]] {
                let r = Harness.run(["/usr/bin/env", "HUTCH_ROOT=" + root, "/usr/bin/python3", root + "-drive.py", Harness.hutch] + args,
                                    as: user, timeout: 60)
                XCTAssertStatus(r, 0, args.joined(separator: " "))
                XCTAssertTrue(r.stdout.contains("33 101\n"), r.stdout)
                XCTAssertTrue(r.stdout.hasSuffix("status=5\n"), r.stdout)
                let ps = Harness.hutch(["ps", "-a", "--format", "{{.Names}} {{.Status}}"], as: user, env: env)
                XCTAssertTrue(ps.stdout.hasPrefix("shell Exited (5)"), ps.stdout)
            }
            XCTAssertStatus(Harness.hutch(["run", "-i", "--name", "piped", "--network", "none", "--rootfs", rootfs, "sh"],
                                          as: user, stdin: "echo first; exit 6\n", env: env, timeout: 30), 6)
            let again = Harness.hutch(["start", "-i", "piped"], as: user, stdin: "echo again; exit 7\n", env: env, timeout: 30)
            XCTAssertStatus(again, 7)
            XCTAssertEqual(again.stdout, "again\n")
            XCTAssertStatus(Harness.hutch(["rm", "shell", "piped"], as: user, env: env), 0)
            RunTests.assertNothingLeft(user, rootfs: rootfs)
        }
    }

    /// -it with input from a pipe is refused, as by Docker; -t alone is fine.
    func testTerminalWithPipedInput() throws {
        try Harness.forEachUser { user in
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            let refused = Harness.hutch(["run", "-it", "--rootfs", rootfs, "sh"], as: user, stdin: "echo piped\n", timeout: 30)
            XCTAssertStatus(refused, 1)
            XCTAssertEqual(refused.stderr, "Error: the input device is not a TTY\n")
            let output = Harness.hutch(["run", "-t", "--rootfs", rootfs, "sh", "-c", "tty; exit 4"], as: user, timeout: 30)
            XCTAssertStatus(output, 4)
            XCTAssertEqual(output.stdout, "/dev/console\r\n")
            RunTests.assertNothingLeft(user, rootfs: rootfs)
        }
    }

    /// The host terminal's modes are back after hutch exits, whether the
    /// container ends by itself or hutch is told to stop with SIGTERM or SIGHUP.
    func testTerminalModesAreRestored() throws {
        let script = #"""
        import os, pty, sys, time, select, termios, signal
        mode, argv = sys.argv[1], sys.argv[2:]
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(argv[0], argv)
        # The child side's modes before hutch starts, read through the master.
        out = b""
        def pump(until, timeout=10.0):
            global out
            end = time.time() + timeout
            while time.time() < end and until not in out:
                r, _, _ = select.select([fd], [], [], 0.05)
                if r:
                    try: d = os.read(fd, 4096)
                    except OSError: return
                    if not d: return
                    out += d
        pump(b"ready")
        raw = termios.tcgetattr(fd)
        if mode == "exit":
            os.write(fd, b"\r")
        else:
            os.kill(pid, getattr(signal, mode))
        after = None
        end = time.time() + 10
        while time.time() < end:
            p, st = os.waitpid(pid, os.WNOHANG)
            if p == pid:
                after = termios.tcgetattr(fd)
                break
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try: os.read(fd, 4096)
                except OSError: pass
        print("raw-while-running=%s" % (not (raw[3] & termios.ICANON)))
        print("restored=%s" % (after is not None and bool(after[3] & termios.ICANON) and bool(after[3] & termios.ECHO)))
        """#
        try Harness.forEachUser { user in
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            let dir = try Harness.tempDir(for: user, "pty")
            defer { Harness.removeTree(dir, as: user) }
            try script.write(toFile: dir + "/modes.py", atomically: true, encoding: .utf8)
            chmod(dir + "/modes.py", 0o644)
            for mode in ["exit", "SIGTERM", "SIGHUP"] {
                // A trap that exits on the signal: the shell is not PID 1, its default would too.
                let r = Harness.run(["/usr/bin/python3", dir + "/modes.py", mode, Harness.hutch, "run", "-it", "--rootfs", rootfs,
                                     "sh", "-c", "echo ready; read line"], as: user, timeout: 60)
                XCTAssertStatus(r, 0, mode)
                XCTAssertEqual(r.stdout, "raw-while-running=True\nrestored=True\n", mode)
            }
            RunTests.assertNothingLeft(user, rootfs: rootfs)
        }
    }
}
