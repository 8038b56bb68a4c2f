import Foundation
import XCTest

/// A private store, a busybox root filesystem and a folder shared with the
/// containers (`-v SHARED:/shared`, for the test to signal them through
/// files), for one test user. `remove()` checks that nothing was left.
struct ContainerFixture {
    let user: TestUser
    let root: String
    let rootfs: String
    let shared: String

    init(_ user: TestUser) throws {
        self.user = user
        rootfs = try Harness.busyboxRootfs(for: user)
        root = try Harness.tempDir(for: user, "store")
        shared = try Harness.tempDir(for: user, "shared")
    }

    var env: [String: String] { ["HUTCH_ROOT": root] }
    var volume: [String] { ["-v", "\(shared):/shared"] }

    @discardableResult
    func hutch(_ args: [String], timeout: TimeInterval = 120) -> CommandResult {
        Harness.hutch(args, as: user, env: env, timeout: timeout)
    }

    /// A shell script as the user, hutch on PATH and this store in HUTCH_ROOT.
    @discardableResult
    func sh(_ script: String, timeout: TimeInterval = 120) -> CommandResult {
        Harness.sh(script, as: user, env: env, timeout: timeout)
    }

    /// `hutch inspect -f TEMPLATE C`, without its newline.
    func inspect(_ container: String, _ template: String) -> String {
        hutch(["inspect", "-f", template, container]).stdout.trimmingCharacters(in: .newlines)
    }

    /// Creates /shared/NAME for the containers that wait on it.
    func signal(_ name: String) { XCTAssertStatus(sh("touch \(shared)/\(name)"), 0) }

    /// Waits until the container's log (both streams) shows `text` `count` times.
    func waitForLog(_ container: String, _ text: String, count: Int = 1, timeout: TimeInterval = 15) -> Bool {
        Harness.waitUntil(timeout: timeout, poll: 0.05) {
            hutch(["logs", container]).output.components(separatedBy: text).count - 1 >= count
        }
    }

    /// Waits until `ps -a` no longer lists any container and none's folder is left.
    func waitUntilNoContainers(timeout: TimeInterval = 15) -> Bool {
        Harness.waitUntil(timeout: timeout, poll: 0.05) {
            hutch(["ps", "-aq"]).stdout.isEmpty && containerFolders().isEmpty
        }
    }

    func containerFolders() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/containers")) ?? []).filter { !$0.hasPrefix(".") }
    }

    /// Nothing of this store's left running, mounted or on disk.
    func assertNothingLeft(file: StaticString = #filePath, line: UInt = #line) {
        var ours: [String] = []
        let gone = Harness.waitUntil(timeout: 10) {
            ours = Harness.processes(of: user).filter { $0.contains(root) }
            return ours.isEmpty
        }
        XCTAssertTrue(gone, "processes left behind: \(ours)", file: file, line: line)
        XCTAssertEqual(containerFolders(), [], "container folders left behind", file: file, line: line)
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        XCTAssertFalse(mounts.contains(root), "mounts left behind", file: file, line: line)
    }

    /// Removes every container (`rm -f`), checks nothing is left, deletes the folders.
    func remove(file: StaticString = #filePath, line: UInt = #line) {
        let ids = hutch(["ps", "-aq", "--no-trunc"]).stdout.split(separator: "\n").map(String.init)
        if !ids.isEmpty { hutch(["rm", "-f"] + ids) }
        assertNothingLeft(file: file, line: line)
        for dir in [rootfs, root, shared] { Harness.removeTree(dir, as: user) }
    }
}
