import XCTest
import Foundation
@testable import Sandbox

/// The library API the image and build code call: spawn with given
/// descriptors, wait, and a seccomp filter installed in the child. Runs a
/// real container as whoever runs the tests.
final class SpawnTests: XCTestCase {
    var rootfs = ""

    override func setUpWithError() throws {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        rootfs = NSTemporaryDirectory() + "spawn-tests-\(getpid())-\(UUID().uuidString.prefix(6))"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = [url.appendingPathComponent("harness/make-busybox-rootfs.sh").path, rootfs]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw XCTSkip("make-busybox-rootfs.sh failed: install busybox-static") }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: rootfs) }

    /// Runs `script` in the container with stdout and stderr on a pipe.
    func capture(_ spec: SandboxSpec) throws -> (Int32, String) {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        var s = spec
        s.stdio = .descriptors(stdin: -1, stdout: fds[1], stderr: fds[1])
        let process = try SandboxProcess.spawn(s)
        close(fds[1])
        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n <= 0 { break }
            output += buffer[0..<n]
        }
        close(fds[0])
        return (process.wait(), String(decoding: output, as: UTF8.self))
    }

    func spec(_ script: String) throws -> SandboxSpec {
        var options = RunOptions()
        options.network = "none"
        return try SandboxSpec.forRootfs(rootfs, command: ["sh", "-c", script], options: options)
    }

    func testSpawnWaitAndDescriptors() throws {
        let (status, output) = try capture(try spec("echo out; echo err >&2; exit 6"))
        XCTAssertEqual(status, 6)
        XCTAssertEqual(output, "out\nerr\n")
    }

    func testSeccompFilterIsInstalledLast() throws {
        // A hand-written filter: mkdir (83 on x86_64) fails with EPERM, all else is allowed.
        #if arch(x86_64)
        func op(_ code: UInt16, _ jt: UInt8, _ jf: UInt8, _ k: UInt32) -> [UInt8] {
            withUnsafeBytes(of: code.littleEndian, Array.init) + [jt, jf] + withUnsafeBytes(of: k.littleEndian, Array.init)
        }
        var s = try spec("grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status | tr -s '\\t' ' '; mkdir /tmp/denied 2>/dev/null || echo mkdir-denied")
        s.seccompFilter = op(0x20, 0, 0, 0) + op(0x15, 0, 1, 83) + op(0x06, 0, 0, 0x0005_0001) + op(0x06, 0, 0, 0x7fff_0000)
        let (status, output) = try capture(s)
        XCTAssertEqual(status, 0)
        XCTAssertEqual(output, "NoNewPrivs: 1\nSeccomp: 2\nmkdir-denied\n")
        #else
        throw XCTSkip("the hand-written filter is for x86_64")
        #endif
    }

    func testSetupFailureThrowsAndLeavesNothing() throws {
        var s = try spec("true")
        s.volumes = [VolumeMount(source: "/proc/self/nonexistent-for-test", target: "/x", readOnly: false)]
        XCTAssertThrowsError(try SandboxProcess.spawn(s)) { error in
            XCTAssertEqual((error as? SandboxError)?.exitCode, 125)
            XCTAssertTrue("\(error)".hasPrefix("cannot bind"), "\(error)")
        }
        var status: Int32 = 0
        XCTAssertEqual(waitpid(-1, &status, WNOHANG), -1, "a child was left")
    }

    /// A caller that goes on after a container (a build) keeps its signal mask.
    func testRunRestoresTheSignalMask() throws {
        var before = sigset_t(), after = sigset_t()
        pthread_sigmask(SIG_SETMASK, nil, &before)
        XCTAssertEqual(try Sandbox.run(try spec("exit 9")), 9)
        pthread_sigmask(SIG_SETMASK, nil, &after)
        for sig in [SIGINT, SIGTERM, SIGCHLD, SIGPIPE, SIGWINCH] {
            XCTAssertEqual(sigismember(&before, sig), sigismember(&after, sig), "signal \(sig)")
        }
    }

    func testNotFound() throws {
        var s = try spec("true")
        s.argv = ["no-such-command"]
        XCTAssertThrowsError(try SandboxProcess.spawn(s)) { error in
            XCTAssertEqual(error as? SandboxError, .commandNotFound("exec: \"no-such-command\": executable file not found in $PATH"))
        }
    }
}
