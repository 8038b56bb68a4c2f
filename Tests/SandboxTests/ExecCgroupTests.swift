import XCTest
import Foundation
@testable import Sandbox

/// `exec` into a container with limits: the new process is in the given
/// cgroup before its command runs, and a cgroup it cannot join is an error
/// before anything runs.
final class ExecCgroupTests: XCTestCase {
    var rootfs = ""
    var shared = ""

    override func setUpWithError() throws {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        let base = NSTemporaryDirectory() + "exec-cgroup-tests-\(getpid())-\(UUID().uuidString.prefix(6))"
        rootfs = base + "-rootfs"
        shared = base + "-shared"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = [url.appendingPathComponent("harness/make-busybox-rootfs.sh").path, rootfs]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw XCTSkip("make-busybox-rootfs.sh failed: install busybox-static") }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: rootfs)
        try? FileManager.default.removeItem(atPath: shared)
    }

    func spec(_ script: String) throws -> SandboxSpec {
        var options = RunOptions()
        options.network = "none"
        options.volumes = ["\(shared):/shared"]
        return try SandboxSpec.forRootfs(rootfs, command: ["sh", "-c", script], options: options)
    }

    /// A running container to exec into, killed by the caller's defer.
    func startContainer() throws -> SandboxProcess {
        var s = try spec("sleep 60")
        s.stdio = .descriptors(stdin: -1, stdout: -1, stderr: -1)
        return try SandboxProcess.spawn(s)
    }

    /// Runs `script` by exec in `container`: its exit code and output.
    func exec(_ script: String, in container: SandboxProcess, cgroup: String?) throws -> (Int32, String) {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]) }
        var s = try spec(script)
        s.stdio = .descriptors(stdin: -1, stdout: fds[1], stderr: fds[1])
        let process: SandboxProcess
        do { process = try SandboxProcess.spawn(s, joining: container.pid, cgroup: cgroup) } catch {
            close(fds[1])
            throw error
        }
        close(fds[1])
        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n <= 0 { break }
            output += buffer[0..<n]
        }
        return (process.wait(), String(decoding: output, as: UTF8.self))
    }

    /// A stand-in cgroup folder: the joiner writes "0" (itself) to its
    /// cgroup.procs before the command is started.
    func testTheJoinerWritesItselfIntoCgroupProcsFirst() throws {
        let container = try startContainer()
        defer { container.signal(SIGKILL); _ = container.wait() }
        let cgroup = shared + "/fake-cgroup"
        try FileManager.default.createDirectory(atPath: cgroup, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: cgroup + "/cgroup.procs", contents: nil)
        // The command reads the file through the container's volume: written before it ran.
        let (status, output) = try exec("cat /shared/fake-cgroup/cgroup.procs", in: container, cgroup: cgroup)
        XCTAssertEqual(status, 0)
        XCTAssertEqual(output, "0")
    }

    /// A cgroup that refuses the process: an error naming it, and the
    /// command never runs.
    func testACgroupThatRefusesIsAnErrorAndNothingRuns() throws {
        let container = try startContainer()
        defer { container.signal(SIGKILL); _ = container.wait() }
        let full = shared + "/full-cgroup"
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        // Every write to /dev/full fails (ENOSPC), as a cgroup's refusal would.
        XCTAssertEqual(symlink("/dev/full", full + "/cgroup.procs"), 0)
        XCTAssertThrowsError(try exec("touch /shared/ran", in: container, cgroup: full)) { error in
            XCTAssertEqual((error as? SandboxError)?.exitCode, 125)
            XCTAssertTrue("\(error)".hasPrefix("cannot join the container's cgroup \(full): "), "\(error)")
        }
        let missing = shared + "/no-such-cgroup"
        XCTAssertThrowsError(try exec("touch /shared/ran", in: container, cgroup: missing)) { error in
            XCTAssertTrue("\(error)".hasPrefix("cannot join the container's cgroup \(missing): "), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: shared + "/ran"), "the command ran")
        XCTAssertNil(container.poll(), "the container went down with the failed exec")
    }

    /// A real cgroup v2 folder: the command sees itself in it from the start.
    /// Needs a cgroup v2 folder this process may create children in and move
    /// processes to (root, or a delegated subtree).
    func testTheCommandIsInTheCgroupFromItsStart() throws {
        guard let own = ownCgroup2Folder() else {
            throw XCTSkip("no cgroup v2 hierarchy mounted: nothing to join")
        }
        let name = "hutch-exec-test-\(getpid())-\(UUID().uuidString.prefix(6))"
        let cgroup = own + "/" + name
        guard mkdir(cgroup, 0o755) == 0 else {
            throw XCTSkip("cannot create a cgroup in \(own) (\(String(cString: strerror(errno)))): run the unit tests as root or in a delegated cgroup v2 subtree")
        }
        defer { rmdir(cgroup) }
        let container = try startContainer()
        defer { container.signal(SIGKILL); _ = container.wait() }
        // No cgroup namespace: the path shown inside is the host's.
        let (status, output) = try exec("grep '^0::' /proc/self/cgroup", in: container, cgroup: cgroup)
        XCTAssertEqual(status, 0)
        XCTAssertTrue(output.hasSuffix("/\(name)\n"), output)
        let (_, unjoined) = try exec("grep '^0::' /proc/self/cgroup", in: container, cgroup: nil)
        XCTAssertFalse(unjoined.contains(name), unjoined)
    }

    func ownCgroup2Folder() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("0::") }),
              let mounts = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        for entry in mounts.split(separator: "\n") {
            guard let dash = entry.range(of: " - "), entry[dash.upperBound...].hasPrefix("cgroup2 ") else { continue }
            let fields = entry[..<dash.lowerBound].split(separator: " ")
            guard fields.count >= 5 else { continue }
            let path = String(line.dropFirst(3))
            return String(fields[4]) + (path == "/" ? "" : path)
        }
        return nil
    }
}
