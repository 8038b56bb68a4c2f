import Foundation
import XCTest

/// An unprivileged user the end-to-end tests run hutch as. Under `make test`
/// as root these are hutch-sub (with an /etc/subuid range) and hutch-nosub
/// (without one); as an ordinary user, just that user.
struct TestUser: CustomStringConvertible {
    let name: String
    let hasSubuid: Bool
    var description: String { "\(name) (\(hasSubuid ? "with" : "without") subuid range)" }
}

/// What a command printed and how it ended.
struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
    var output: String { stdout + stderr }
}

/// Drives the installed hutch binaries as the test users.
enum Harness {
    /// Where `make test` installed hutch and wrote the users file.
    /// An empty or top-level value would make the harness chmod and clean
    /// up /tmp itself, so those fall back to the default.
    static let root: String = {
        let value = ProcessInfo.processInfo.environment["HUTCH_E2E_ROOT"] ?? ""
        let depth = value.split(separator: "/").count
        return value.hasPrefix("/") && depth >= 2 ? value : "/tmp/hutch-e2e"
    }()
    static var prefix: String { root + "/prefix" }
    static var hutch: String { prefix + "/bin/hutch" }
    static var unionfs: String { prefix + "/bin/hutch-unionfs" }
    static let isRoot = getuid() == 0

    /// The repository's Tests/harness folder (scripts the tests call).
    static let harnessDir: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        return url.appendingPathComponent("harness").path
    }()

    static let users: [TestUser] = {
        guard let text = try? String(contentsOfFile: root + "/users", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { return nil }
            return TestUser(name: String(parts[0]), hasSubuid: parts[1] == "subuid")
        }
    }()

    /// Fails the test, naming what is missing, when `make test` did not set up.
    static func requireSetup(file: StaticString = #filePath, line: UInt = #line) throws {
        guard FileManager.default.isExecutableFile(atPath: hutch), !users.isEmpty else {
            XCTFail("end-to-end setup missing: run `make test` (no \(hutch) or \(root)/users)", file: file, line: line)
            throw XCTSkip("setup missing")
        }
    }

    /// Runs `body` once per test user.
    static func forEachUser(file: StaticString = #filePath, line: UInt = #line,
                            _ body: (TestUser) throws -> Void) throws {
        try requireSetup(file: file, line: line)
        for user in users {
            // XCTContext is not on Linux: the log line says which user a failure below belongs to.
            print("--- as \(user)")
            try body(user)
        }
    }

    static func home(of user: TestUser) -> String {
        guard let pw = getpwnam(user.name) else { return NSHomeDirectory() }
        return String(cString: pw.pointee.pw_dir)
    }

    /// A fresh folder owned by the user, removed by the caller's `defer`.
    static func tempDir(for user: TestUser, _ label: String = "t") throws -> String {
        let base = root + "/tmp/" + user.name
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let dir = base + "/\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if isRoot {
            chmod(root + "/tmp", 0o755)
            _ = run(["/bin/chown", user.name, base, dir], as: nil)
        }
        return dir
    }

    /// Removes a folder the user made (as the user: it may hold files a
    /// container wrote with mapped ids; hutch's own `unshare`-style cleanup).
    static func removeTree(_ path: String, as user: TestUser) {
        _ = run(["/bin/rm", "-rf", path], as: user)
        if FileManager.default.fileExists(atPath: path) {
            _ = run([hutch, "system", "rm-tree", path], as: user)
            _ = run(["/bin/rm", "-rf", path], as: nil)
        }
    }

    /// Runs hutch with `args` as `user`.
    @discardableResult
    static func hutch(_ args: [String], as user: TestUser, stdin: String? = nil,
                      env: [String: String] = [:], timeout: TimeInterval = 120) -> CommandResult {
        run([hutch] + args, as: user, stdin: stdin, env: env, timeout: timeout)
    }

    /// Runs `/bin/sh -c script` as `user`.
    @discardableResult
    static func sh(_ script: String, as user: TestUser, env: [String: String] = [:],
                   timeout: TimeInterval = 120) -> CommandResult {
        run(["/bin/sh", "-c", script], as: user, env: env, timeout: timeout)
    }

    /// Runs argv as `user` (nil: as this process) with a clean login-like
    /// environment, killing it after `timeout` seconds.
    static func run(_ argv: [String], as user: TestUser?, stdin: String? = nil,
                    env: [String: String] = [:], timeout: TimeInterval = 120) -> CommandResult {
        var full: [String] = []
        if let user, isRoot {
            let home = home(of: user)
            var environment = ["HOME=\(home)", "USER=\(user.name)", "LOGNAME=\(user.name)",
                               "PATH=\(prefix)/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
                               "LANG=C.UTF-8", "TERM=xterm"]
            for (k, v) in env { environment.append("\(k)=\(v)") }
            full = ["/usr/sbin/runuser", "-u", user.name, "--", "/usr/bin/env", "-i"] + environment + argv
        } else {
            var environment = ["PATH=\(prefix)/bin:\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")"]
            for (k, v) in env { environment.append("\(k)=\(v)") }
            full = ["/usr/bin/env"] + environment + argv
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: full[0])
        process.arguments = Array(full.dropFirst())
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        do { try process.run() } catch {
            return CommandResult(status: -1, stdout: "", stderr: "could not start \(full[0]): \(error)")
        }
        if let stdin { input.fileHandleForWriting.write(stdin.data(using: .utf8)!) }
        try? input.fileHandleForWriting.close()
        // Read both pipes while waiting, so a chatty command cannot block.
        let outData = DataBox(), errData = DataBox()
        let group = DispatchGroup()
        group.enter(); DispatchQueue.global().async { outData.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter(); DispatchQueue.global().async { errData.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        var timedOut = false
        if process.isRunning {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        group.wait()
        var stderr = String(decoding: errData.data, as: UTF8.self)
        if timedOut { stderr += "\n[harness: killed after \(Int(timeout)) s]" }
        return CommandResult(status: process.terminationStatus, stdout: String(decoding: outData.data, as: UTF8.self),
                             stderr: stderr)
    }

    /// Waits until `condition` holds, at most `timeout` seconds; false if it never did.
    static func waitUntil(timeout: TimeInterval, poll: TimeInterval = 0.02, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if condition() { return true }
            usleep(useconds_t(poll * 1_000_000))
        } while Date() < deadline
        return condition()
    }

    /// A busybox root filesystem owned by `user`, in a fresh folder.
    static func busyboxRootfs(for user: TestUser) throws -> String {
        let dir = try tempDir(for: user, "rootfs")
        let r = run(["/bin/sh", harnessDir + "/make-busybox-rootfs.sh", dir], as: user)
        guard r.status == 0 else { throw HarnessError("make-busybox-rootfs.sh failed: \(r.output)") }
        return dir
    }

    /// The processes `user` still has (none should be left by a test).
    static func processes(of user: TestUser) -> [String] {
        let r = run(["/usr/bin/pgrep", "-a", "-u", user.name], as: nil)
        return r.stdout.split(separator: "\n").map(String.init)
    }
}

/// Written by one reader thread, read after the group is waited on.
final class DataBox: @unchecked Sendable { var data = Data() }

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Asserts a command exited with `status`, showing its output when not.
func XCTAssertStatus(_ result: CommandResult, _ status: Int32, _ message: String = "",
                     file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(result.status, status, "\(message)\nstdout: \(result.stdout)\nstderr: \(result.stderr)",
                   file: file, line: line)
}

extension Harness {
    /// The Debian+python3 root filesystem tar made by make-python-image.sh
    /// (mmdebstrap in unshare mode), or a failure naming what is missing.
    static func pythonFixture(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = root + "/fixtures/debian-python3.tar"
        guard FileManager.default.isReadableFile(atPath: path) else {
            XCTFail("missing \(path): Tests/harness/setup.sh makes it with mmdebstrap as a user with a subuid range",
                    file: file, line: line)
            throw XCTSkip("python fixture missing")
        }
        return path
    }
}
