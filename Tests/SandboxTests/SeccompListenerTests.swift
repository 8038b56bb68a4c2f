import XCTest
import Foundation
@testable import Sandbox

/// The listener of a notifying filter goes from the command to the hook,
/// for `run` and for `exec`; without a hook the filter is installed alone.
final class SeccompListenerTests: XCTestCase {
    var rootfs = ""

    override func setUpWithError() throws {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        rootfs = NSTemporaryDirectory() + "listener-tests-\(getpid())-\(UUID().uuidString.prefix(6))"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = [url.appendingPathComponent("harness/make-busybox-rootfs.sh").path, rootfs]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw XCTSkip("make-busybox-rootfs.sh failed: install busybox-static") }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: rootfs) }

    #if arch(x86_64)
    /// chown, fchown, lchown and fchownat (x86_64) notify; all else is allowed.
    static let notifyingChown: [UInt8] = {
        func op(_ code: UInt16, _ jt: UInt8, _ jf: UInt8, _ k: UInt32) -> [UInt8] {
            withUnsafeBytes(of: code.littleEndian, Array.init) + [jt, jf] + withUnsafeBytes(of: k.littleEndian, Array.init)
        }
        return op(0x20, 0, 0, 0) + op(0x15, 4, 0, 92) + op(0x15, 3, 0, 93) + op(0x15, 2, 0, 94) + op(0x15, 1, 0, 260)
            + op(0x06, 0, 0, 0x7fff_0000) + op(0x06, 0, 0, 0x7fc0_0000)
    }()
    #endif

    /// Answers every notification on `fd` with `errno`, recording the
    /// syscall numbers, until the listener hangs up.
    final class FakeSupervisor: @unchecked Sendable {
        let lock = NSLock()
        var seen: [Int32] = []
        let done = DispatchSemaphore(value: 0)

        func serve(_ fd: Int32, errno answer: Int32) {
            Thread.detachNewThread { [self] in
                defer { close(fd); done.signal() }
                while true {
                    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    guard poll(&p, 1, 10_000) == 1, p.revents & Int16(POLLIN) != 0 else { return }
                    var notif = [UInt8](repeating: 0, count: 80)
                    guard notif.withUnsafeMutableBytes({ ioctl(fd, 0xC050_2100, $0.baseAddress!) }) == 0 else { continue }
                    let nr = notif.withUnsafeBytes { $0.load(fromByteOffset: 16, as: Int32.self) }
                    lock.lock(); seen.append(nr); lock.unlock()
                    var resp = [UInt8](repeating: 0, count: 24)
                    resp.withUnsafeMutableBytes { r in
                        notif.withUnsafeBytes { r.storeBytes(of: $0.load(as: UInt64.self), toByteOffset: 0, as: UInt64.self) }
                        r.storeBytes(of: -answer, toByteOffset: 16, as: Int32.self)
                    }
                    _ = resp.withUnsafeMutableBytes { ioctl(fd, 0xC018_2101, $0.baseAddress!) }
                }
            }
        }
    }

    func capture(_ spec: SandboxSpec, joining pid: pid_t? = nil) throws -> (Int32, String) {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        var s = spec
        s.stdio = .descriptors(stdin: -1, stdout: fds[1], stderr: fds[1])
        let process = try pid.map { try SandboxProcess.spawn(s, joining: $0) } ?? SandboxProcess.spawn(s)
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

    func testListenerReachesTheHookAndAnswersChown() throws {
        #if arch(x86_64)
        let supervisor = FakeSupervisor()
        var hooked = 0
        var s = try spec("touch /tmp/f; chown 1000:1000 /tmp/f 2>&1; echo rc=$?; ls /proc/self/fd | wc -l")
        s.seccompFilter = Self.notifyingChown
        s.seccompListener = { fd in hooked += 1; supervisor.serve(fd, errno: EDOM) }
        let (status, output) = try capture(s)
        XCTAssertEqual(status, 0)
        XCTAssertEqual(hooked, 1)
        XCTAssertTrue(output.contains("Numerical argument out of domain"), output)
        XCTAssertTrue(output.contains("rc=1"), output)
        // stdin, stdout, stderr and the one ls reads: the listener and the socket did not leak in.
        XCTAssertTrue(output.hasSuffix("4\n"), output)
        XCTAssertEqual(supervisor.done.wait(timeout: .now() + 10), .success, "the listener did not hang up when the container ended")
        supervisor.lock.lock(); defer { supervisor.lock.unlock() }
        XCTAssertFalse(supervisor.seen.isEmpty)
        XCTAssertTrue(supervisor.seen.allSatisfy { [92, 93, 94, 260].contains($0) }, "\(supervisor.seen)")
        #else
        throw XCTSkip("the hand-written filter is for x86_64")
        #endif
    }

    func testWithoutAHookTheNotifyingCallFailsENOSYS() throws {
        #if arch(x86_64)
        var s = try spec("touch /tmp/f; chown 1000:1000 /tmp/f 2>&1; echo rc=$?")
        s.seccompFilter = Self.notifyingChown
        let (status, output) = try capture(s)
        XCTAssertEqual(status, 0)
        XCTAssertTrue(output.contains("Function not implemented"), output)
        #else
        throw XCTSkip("the hand-written filter is for x86_64")
        #endif
    }

    func testExecHandsOverItsOwnListener() throws {
        #if arch(x86_64)
        var first = try spec("sleep 30")
        first.seccompFilter = Self.notifyingChown
        let supervisor = FakeSupervisor()
        first.seccompListener = { fd in supervisor.serve(fd, errno: EDOM) }
        first.stdio = .descriptors(stdin: -1, stdout: -1, stderr: -1)
        let container = try SandboxProcess.spawn(first)
        defer { container.signal(SIGKILL); _ = container.wait() }
        let second = FakeSupervisor()
        var exec = try spec("touch /tmp/g; chown 5:5 /tmp/g 2>&1; echo rc=$?")
        exec.seccompFilter = Self.notifyingChown
        exec.seccompListener = { fd in second.serve(fd, errno: EXDEV) }
        let (status, output) = try capture(exec, joining: container.pid)
        XCTAssertEqual(status, 0)
        XCTAssertTrue(output.contains("Invalid cross-device link"), output)
        XCTAssertEqual(second.done.wait(timeout: .now() + 10), .success)
        #else
        throw XCTSkip("the hand-written filter is for x86_64")
        #endif
    }
}

final class ChownSupervisorNeedTests: XCTestCase {
    func testOnlySingleIDMappingsNeedIt() {
        let one = [IDMapRange(container: 0, host: 1002, count: 1)]
        let range = one + [IDMapRange(container: 1, host: 1_000_000, count: 65536)]
        XCTAssertTrue(IDMappings(uids: one, gids: one, useHelpers: false).needsChownSupervisor)
        XCTAssertTrue(IDMappings(uids: range, gids: one, useHelpers: false).needsChownSupervisor)
        XCTAssertFalse(IDMappings(uids: range, gids: range, useHelpers: true).needsChownSupervisor)
    }
}
