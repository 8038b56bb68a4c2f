import XCTest
import Foundation
@testable import Sandbox

final class MountPlanTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "mount-plan-\(getpid())-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/home/nobody:/bin/false\n"
            .write(toFile: root + "/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\nnogroup:x:65534:\n".write(toFile: root + "/etc/group", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/escape", withDestinationPath: "/usr")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    let sub = HostUser(uid: 1001, gid: 1001, subuid: SubordinateRange(start: 1_000_000, count: 65536),
                       subgid: SubordinateRange(start: 1_000_000, count: 65536))
    let nosub = HostUser(uid: 1002, gid: 1002, subuid: nil, subgid: nil)

    func spec(_ options: RunOptions = RunOptions(), host: HostUser? = nil) throws -> SandboxSpec {
        try SandboxSpec.forRootfs(root, command: ["sh"], options: options, host: host ?? sub, hostEnvironment: { _ in nil })
    }

    func testOrderAndDockerPaths() throws {
        let ops = try MountPlan.operations(for: try spec())
        let pivot = try XCTUnwrap(ops.firstIndex(of: .pivot))
        XCTAssertEqual(ops.first, .makePrivate("/"))
        XCTAssertEqual(ops.filter { $0 == .pivot }.count, 1)
        // Masks and read-only paths come after the switch, on the container's /proc.
        for path in ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/sys/firmware"] {
            XCTAssertGreaterThan(try XCTUnwrap(ops.firstIndex(of: .mask(path))), pivot, path)
        }
        for path in ["/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"] {
            XCTAssertGreaterThan(try XCTUnwrap(ops.firstIndex(of: .readOnly(path))), pivot, path)
        }
        for device in ["null", "zero", "full", "random", "urandom", "tty"] {
            XCTAssertTrue(ops.contains(.bind(source: "/dev/" + device, target: "dev/" + device, recursive: false, readOnly: false)))
        }
        XCTAssertTrue(ops.contains(.bind(source: "/sys", target: "sys", recursive: true, readOnly: true)))
        XCTAssertTrue(ops.contains { if case .mount("devpts", "dev/pts", _, let data) = $0 { return data.contains("newinstance") && data.contains("gid=5") }; return false })
        XCTAssertFalse(ops.contains(.remountReadOnly("/")))
    }

    func testNoNetworkMountsItsOwnSysfsAndNoTtyGidWithoutARange() throws {
        var options = RunOptions()
        options.network = "none"
        options.readOnly = true
        let ops = try MountPlan.operations(for: try spec(options, host: nosub))
        XCTAssertTrue(ops.contains { if case .mount("sysfs", "sys", _, _) = $0 { return true }; return false })
        XCTAssertTrue(ops.contains { if case .mount("devpts", _, _, let data) = $0 { return !data.contains("gid=5") }; return false })
        XCTAssertEqual(ops.last, .remountReadOnly("/"))
    }

    func testVolumesResolveInsideTheRootfs() throws {
        var options = RunOptions()
        options.volumes = ["\(root)/etc:/escape/data:ro", "\(root)/etc/passwd:/files/passwd"]
        options.tmpfs = ["/run/x"]
        let ops = try MountPlan.operations(for: try spec(options))
        // /escape -> /usr on the host is /usr in the rootfs.
        XCTAssertTrue(ops.contains(.bind(source: "\(root)/etc", target: "usr/data", recursive: true, readOnly: true)))
        XCTAssertTrue(ops.contains(.mkdir("usr/data")))
        XCTAssertTrue(ops.contains(.mkfile("files/passwd")))
        XCTAssertTrue(ops.contains(.mkdir("files")))
        XCTAssertTrue(ops.contains(.mkdir("run/x")))
        XCTAssertLessThan(try XCTUnwrap(ops.firstIndex(of: .mkdir("run/x"))), try XCTUnwrap(ops.firstIndex(of: .pivot)))
    }

    func testTmpfsOptions() throws {
        let plain = try TmpfsOption.parse("/run")
        XCTAssertEqual(plain, TmpfsOption(path: "/run", data: "mode=1777", flags: UInt(MS_NOSUID | MS_NODEV)))
        let sized = try TmpfsOption.parse("/cache:rw,size=64m,mode=755,noexec")
        XCTAssertEqual(sized, TmpfsOption(path: "/cache", data: "mode=755,size=64m", flags: UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC)))
        XCTAssertEqual(try TmpfsOption.parse("/ro:ro").flags & UInt(MS_RDONLY), UInt(MS_RDONLY))
        for bad in ["run", "/run:size=", "/run:size=1x", "/run:mode=", "/run:mode=8", "/run:foo", "/run:ro=1", ":size=1m"] {
            XCTAssertThrowsError(try TmpfsOption.parse(bad), bad)
        }
        var options = RunOptions()
        options.tmpfs = ["/run/y:size=1m"]
        let ops = try MountPlan.operations(for: try spec(options))
        XCTAssertTrue(ops.contains(.mount(fstype: "tmpfs", target: "run/y", flags: UInt(MS_NOSUID | MS_NODEV), data: "mode=1777,size=1m")))
    }

    func testBadInputIsRejected() {
        let cases: [(RunOptions) -> RunOptions] = [
            { var o = $0; o.volumes = ["relative:/x"]; return o },
            { var o = $0; o.volumes = ["/no/such/host/path:/x"]; return o },
            { var o = $0; o.volumes = ["/tmp:/"]; return o },
            { var o = $0; o.volumes = ["/tmp:relative"]; return o },
            { var o = $0; o.tmpfs = ["relative"]; return o },
            { var o = $0; o.tmpfs = ["/run:size=lots"]; return o },
            { var o = $0; o.tmpfs = ["/run:mode=999"]; return o },
            { var o = $0; o.tmpfs = ["/run:uid=0"]; return o },
            { var o = $0; o.workdir = "relative"; return o },
            { var o = $0; o.user = "nosuchuser"; return o },
            { var o = $0; o.network = "bridge0"; return o },
            { var o = $0; o.userns = "bogus"; return o },
            { var o = $0; o.envFiles = ["/no/such/env/file"]; return o },
            { var o = $0; o.env = ["A=1\0B=2"]; return o },
            { var o = $0; o.hostname = "bad\0name"; return o },
            { var o = $0; o.volumes = ["/tmp\0:/x"]; return o },
        ]
        for (i, make) in cases.enumerated() {
            XCTAssertThrowsError(try MountPlan.operations(for: try spec(make(RunOptions()))), "case \(i)") { error in
                XCTAssertEqual((error as? SandboxError)?.exitCode, 125, "case \(i)")
            }
        }
        XCTAssertThrowsError(try SandboxSpec.forRootfs(root + "/missing", command: ["sh"], options: RunOptions(), host: sub))
        XCTAssertThrowsError(try SandboxSpec.forRootfs(root, command: [], options: RunOptions(), host: sub))
        XCTAssertThrowsError(try SandboxSpec.forRootfs(root, command: ["sh", "-c", "echo\0hidden"], options: RunOptions(), host: sub))
    }

    func testSpecDefaults() throws {
        var options = RunOptions()
        options.tty = true
        options.env = ["PATH=/x", "A=1"]
        let s = try spec(options)
        XCTAssertEqual(s.environment[0], "PATH=/x")
        XCTAssertTrue(s.environment.contains("TERM=xterm"))
        XCTAssertTrue(s.environment.contains("HOME=/root"))
        XCTAssertTrue(s.environment.contains("HOSTNAME=\(s.hostname)"))
        XCTAssertEqual(s.path, "/x")
        XCTAssertEqual(s.stdio, .terminal)
        XCTAssertEqual(s.user, ContainerUser(uid: 0, gid: 0, groups: [0], home: "/root"))

        options = RunOptions()
        options.user = "nobody"
        let n = try spec(options, host: nosub)
        XCTAssertEqual(IDMappings.mapText(n.idMappings.uids), "65534 1002 1\n")
        XCTAssertTrue(n.environment.contains("HOME=/home/nobody"))

        options = RunOptions()
        options.userns = "keep-id"
        let k = try spec(options, host: nosub)
        XCTAssertEqual(k.user.uid, 1002)
        XCTAssertEqual(IDMappings.mapText(k.idMappings.uids), "1002 1002 1\n")
    }

    func testAUserOutsideTheRangeIsAnError() {
        var options = RunOptions()
        options.user = "70000"
        XCTAssertThrowsError(try spec(options, host: sub))
    }
}
