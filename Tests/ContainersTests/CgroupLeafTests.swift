import Foundation
import XCTest
@testable import Containers

/// cgroup v2 lets a folder that gives controllers to its children hold no
/// processes of its own, and a delegated folder always holds some (the
/// user's shell, hutch): hutch moves them into a leaf child first.
final class CgroupLeafTests: XCTestCase {
    /// The rule for real: a folder with a process in it, as a shell's scope
    /// is. Needs root to make cgroups at the top of the cgroup v2 mount, and
    /// a domain controller there (this machine's hybrid layout has only
    /// hugetlb, which is enough).
    func testTheFolderProcessesMoveIntoTheLeafAndTheCgroupIsMadeBesideIt() throws {
        guard getuid() == 0 else {
            throw XCTSkip("needs root to make cgroups at the top of the cgroup v2 hierarchy: run the unit tests as root (make test)")
        }
        guard let mount = CgroupDelegation.cgroup2MountPoint(mountinfo: (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "") else {
            throw XCTSkip("no cgroup v2 hierarchy mounted (/proc/self/mountinfo has no cgroup2)")
        }
        // Controllers the no-internal-processes rule holds for (pids and cpu,
        // threaded ones, would not show it).
        guard let controller = ["hugetlb", "memory", "io"].first(where: words(mount + "/cgroup.controllers").contains) else {
            throw XCTSkip("the cgroup v2 hierarchy at \(mount) offers none of the controllers hugetlb, memory, io")
        }
        let rootControlBefore = words(mount + "/cgroup.subtree_control")
        let folder = mount + "/hutch-leaf-test-\(getpid())-\(UUID().uuidString.prefix(6))"
        let leaf = folder + "/" + CgroupDelegation.leafName
        var enabledAtRoot = false
        var sleeper: Process?
        func cleanUp() {
            if let s = sleeper, s.isRunning { kill(s.processIdentifier, SIGKILL); s.waitUntilExit() }
            let children = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            for child in children where isDirectory(folder + "/" + child) { removeCgroup(folder + "/" + child) }
            removeCgroup(folder)
            if enabledAtRoot, (try? CgroupDelegation(directory: mount).write("-" + controller, to: mount + "/cgroup.subtree_control")) != nil {
                enabledAtRoot = false
            }
        }
        defer { cleanUp() }

        // The delegated folder, as `systemd-run --user --scope -p Delegate=yes` makes one.
        if !rootControlBefore.contains(controller) {
            try CgroupDelegation(directory: mount).write("+" + controller, to: mount + "/cgroup.subtree_control")
            enabledAtRoot = true
        }
        XCTAssertEqual(mkdir(folder, 0o755), 0, String(cString: strerror(errno)))
        XCTAssertTrue(words(folder + "/cgroup.controllers").contains(controller))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["60"]
        try process.run()
        sleeper = process
        let pid = process.processIdentifier
        try CgroupDelegation.addProcess(pid, to: folder)
        XCTAssertEqual(words(folder + "/cgroup.procs"), [String(pid)])

        let delegation = CgroupDelegation(directory: folder)
        let cgroup = try delegation.createChild("hutch-0123456789ab", controllers: [controller])
        XCTAssertEqual(cgroup, folder + "/hutch-0123456789ab")
        XCTAssertEqual(words(leaf + "/cgroup.procs"), [String(pid)], "the process was not moved into the leaf")
        XCTAssertEqual(words(folder + "/cgroup.procs"), [])
        XCTAssertTrue(words(folder + "/cgroup.subtree_control").contains(controller))
        XCTAssertTrue(words(cgroup + "/cgroup.controllers").contains(controller))

        // A second container: the leaf is reused, the process stays in it.
        let second = try delegation.createChild("hutch-ba9876543210", controllers: [controller])
        XCTAssertTrue(isDirectory(second))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).filter { isDirectory(folder + "/" + $0) }.sorted(),
                       ["hutch-0123456789ab", "hutch-ba9876543210", CgroupDelegation.leafName])
        XCTAssertEqual(words(leaf + "/cgroup.procs"), [String(pid)])

        cleanUp()
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder), "\(folder) is left behind")
        XCTAssertEqual(kill(pid, 0), -1, "the sleep \(pid) is left running")
        XCTAssertEqual(words(mount + "/cgroup.subtree_control"), rootControlBefore, "\(mount)/cgroup.subtree_control was not restored")
    }

    /// A plain folder (no cgroup semantics): nothing refuses the controllers,
    /// so no leaf is made and nothing is moved.
    func testAFolderThatAcceptsTheControllersGetsNoLeaf() throws {
        let dir = NSTemporaryDirectory() + "cgl-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "memory pids\n".write(toFile: dir + "/cgroup.controllers", atomically: true, encoding: .utf8)
        try "1\n2\n".write(toFile: dir + "/cgroup.procs", atomically: true, encoding: .utf8)
        let cg = try CgroupDelegation(directory: dir).createCgroup(for: String(repeating: "c", count: 64), limits: ResourceLimits(pids: 10))
        XCTAssertEqual(cg, dir + "/hutch-cccccccccccc")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/" + CgroupDelegation.leafName))
        XCTAssertEqual(try String(contentsOfFile: dir + "/cgroup.procs", encoding: .utf8), "1\n2\n")
    }

    /// hutch run from a shell that an earlier run moved into the leaf uses
    /// the delegated folder above it, never a folder inside the leaf.
    func testFindFromInsideTheLeafIsTheFolderAboveIt() throws {
        let dir = NSTemporaryDirectory() + "cglf-\(UUID().uuidString)"
        let scope = dir + "/user.slice/run-1.scope"
        try FileManager.default.createDirectory(atPath: scope + "/" + CgroupDelegation.leafName, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for file in ["cgroup.subtree_control", "cgroup.procs"] {
            FileManager.default.createFile(atPath: scope + "/" + file, contents: nil)
            FileManager.default.createFile(atPath: scope + "/" + CgroupDelegation.leafName + "/" + file, contents: nil)
        }
        try "30 25 0:26 / \(dir) rw,relatime - cgroup2 cgroup2 rw\n".write(toFile: dir + "/mountinfo", atomically: true, encoding: .utf8)
        let cases = [
            "0::/user.slice/run-1.scope\n": scope,
            "0::/user.slice/run-1.scope/\(CgroupDelegation.leafName)\n": scope,
            "1:name=systemd:/x\n0::/user.slice/run-1.scope/\(CgroupDelegation.leafName)\n": scope,
        ]
        for (text, expected) in cases {
            try text.write(toFile: dir + "/cgroup", atomically: true, encoding: .utf8)
            XCTAssertEqual(try CgroupDelegation.find(procSelfCgroup: dir + "/cgroup", mountinfo: dir + "/mountinfo").directory, expected, text)
        }
    }

    func words(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }

    func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// rmdir of a cgroup whose last process has just been reaped can still
    /// find it busy for a moment.
    func removeCgroup(_ path: String) {
        for _ in 0..<50 {
            if rmdir(path) == 0 || errno == ENOENT { return }
            usleep(20_000)
        }
    }
}
