import Foundation
import XCTest
@testable import Containers

final class PortMappingTests: XCTestCase {
    func testValidSpecs() throws {
        let cases: [(String, [PortMapping])] = [
            ("8080:80", [PortMapping(hostPort: 8080, containerPort: 80)]),
            ("80", [PortMapping(hostPort: 0, containerPort: 80)]),
            ("127.0.0.1:8080:80/tcp", [PortMapping(hostIP: "127.0.0.1", hostPort: 8080, containerPort: 80)]),
            ("127.0.0.1::80", [PortMapping(hostIP: "127.0.0.1", hostPort: 0, containerPort: 80)]),
            ("5353:53/udp", [PortMapping(hostPort: 5353, containerPort: 53, proto: .udp)]),
            ("8000-8001:9000-9001", [PortMapping(hostPort: 8000, containerPort: 9000), PortMapping(hostPort: 8001, containerPort: 9001)]),
            ("[::1]:8080:80", [PortMapping(hostIP: "::1", hostPort: 8080, containerPort: 80)]),
        ]
        for (text, expected) in cases { XCTAssertEqual(try PortMapping.parse(text), expected, text) }
    }

    func testBrokenSpecs() {
        for text in ["", ":", "8080:", "abc", "0:80", "70000:80", "8080:80/sctp", "1.2.3:8080:80", "a:b:c:d",
                     "8000-7999:80-81", "8000-8002:80-81", "[::1:8080:80", "8080:80/", "99999999999999999999:80"] {
            XCTAssertThrowsError(try PortMapping.parse(text), text)
        }
    }

    func testDisplay() {
        XCTAssertEqual(PortMapping(hostPort: 8080, containerPort: 80).display, "0.0.0.0:8080->80/tcp")
        XCTAssertEqual(PortMapping(hostIP: "127.0.0.1", hostPort: 53, containerPort: 53, proto: .udp).portLine, "53/udp -> 127.0.0.1:53")
    }

    func testPastaArguments() {
        let args = PrivateNetwork.pastaArguments(pid: 42, ports: [PortMapping(hostIP: "127.0.0.1", hostPort: 8080, containerPort: 80),
                                                                  PortMapping(hostPort: 5353, containerPort: 53, proto: .udp)],
                                                 pidFile: "/x/pasta.pid")
        XCTAssertEqual(Array(args.suffix(5)), ["-t", "127.0.0.1/8080:80", "-u", "5353:53", "42"])
    }

    func testPrivilegedPortIsRefused() {
        guard getuid() != 0 else { return }
        XCTAssertThrowsError(try PortCheck.prepare([PortMapping(hostPort: 80, containerPort: 80)]))
    }
}

final class NamesAndIDsTests: XCTestCase {
    func testGeneratedNamesAreValidAndAvoidTaken() {
        var taken = Set<String>()
        for _ in 0..<200 {
            let name = NameGenerator.generate { taken.contains($0) }
            XCTAssertTrue(NameGenerator.isValid(name), name)
            XCTAssertFalse(taken.contains(name))
            XCTAssertTrue(name.contains("_"))
            taken.insert(name)
        }
    }

    func testNameRule() {
        for good in ["web", "a", "my_app.1-x", "A9"] { XCTAssertTrue(NameGenerator.isValid(good), good) }
        for bad in ["", "_x", "-x", ".x", "a b", "a/b", "é", "a:b"] { XCTAssertFalse(NameGenerator.isValid(bad), bad) }
    }

    func testIDs() {
        let id = ContainerID.generate()
        XCTAssertTrue(ContainerID.isValid(id))
        XCTAssertEqual(ContainerID.short(id).count, 12)
        XCTAssertFalse(ContainerID.isValid(String(id.dropLast())))
        XCTAssertFalse(ContainerID.isValid(id.uppercased()))
    }

    func testResolution() throws {
        let a = ContainerResolver.Candidate(id: "abc123" + String(repeating: "0", count: 58), name: "web")
        let b = ContainerResolver.Candidate(id: "abd456" + String(repeating: "0", count: 58), name: "db")
        let c = ContainerResolver.Candidate(id: "fff000" + String(repeating: "0", count: 58), name: "abc")
        let all = [a, b, c]
        XCTAssertEqual(try ContainerResolver.resolve("web", among: all), a)
        XCTAssertEqual(try ContainerResolver.resolve("/web", among: all), a)
        XCTAssertEqual(try ContainerResolver.resolve("abd", among: all), b)
        // A name wins over an ID prefix, as in Docker.
        XCTAssertEqual(try ContainerResolver.resolve("abc", among: all), c)
        XCTAssertThrowsError(try ContainerResolver.resolve("ab", among: all)) { error in
            XCTAssertTrue("\(error)".contains("multiple containers"), "\(error)")
        }
        for missing in ["", "zzz", "nope", "abc1234x"] {
            XCTAssertThrowsError(try ContainerResolver.resolve(missing, among: all)) { error in
                XCTAssertTrue("\(error)".hasPrefix("No such container"), "\(error)")
            }
        }
    }
}

final class TimeAndLogTests: XCTestCase {
    func testHumanDuration() {
        let cases: [(TimeInterval, String)] = [(0.5, "Less than a second"), (1, "1 second"), (3, "3 seconds"), (59, "59 seconds"),
                                               (60, "About a minute"), (119, "About a minute"), (120, "2 minutes"),
                                               (3600, "About an hour"), (3 * 3600, "3 hours"), (49 * 3600, "2 days"),
                                               (15 * 86400, "2 weeks"), (70 * 86400, "2 months"), (800 * 86400, "2 years")]
        for (t, s) in cases { XCTAssertEqual(HumanTime.duration(t), s, "\(t)") }
    }

    func testRFC3339Nano() {
        XCTAssertEqual(HumanTime.rfc3339Nano(timespec(tv_sec: 0, tv_nsec: 5)), "1970-01-01T00:00:00.000000005Z")
        XCTAssertEqual(HumanTime.rfc3339Nano(timespec(tv_sec: 1714567890, tv_nsec: 123456789)), "2024-05-01T12:51:30.123456789Z")
        let d = HumanTime.parseRFC3339("2024-05-01T12:51:30.123456789Z")
        XCTAssertEqual(d?.timeIntervalSince1970 ?? 0, 1714567890.123, accuracy: 0.001)
    }

    func testSince() {
        let now = Date(timeIntervalSince1970: 10_000)
        XCTAssertEqual(HumanTime.parseSince("10m", now: now), Date(timeIntervalSince1970: 9_400))
        XCTAssertEqual(HumanTime.parseSince("1h30m", now: now), Date(timeIntervalSince1970: 4_600))
        XCTAssertEqual(HumanTime.parseSince("5000", now: now), Date(timeIntervalSince1970: 5_000))
        XCTAssertNotNil(HumanTime.parseSince("2024-05-01T12:00:00Z", now: now))
        for bad in ["", "m", "10x", "yesterday", "2024-13-01T00:00:00Z"] { XCTAssertNil(HumanTime.parseSince(bad, now: now), bad) }
    }

    func testLogLineFormatAndSplitting() {
        let e = LogEntry(log: "a/b \"q\"\n", stream: "stdout", time: "2024-05-01T12:51:30.123456789Z")
        XCTAssertEqual(String(decoding: e.encodedLine(), as: UTF8.self),
                       "{\"log\":\"a/b \\\"q\\\"\\n\",\"stream\":\"stdout\",\"time\":\"2024-05-01T12:51:30.123456789Z\"}\n")
        XCTAssertNil(LogEntry.decode(Data("{\"log\":\"x\",\"str".utf8)))
        XCTAssertNil(LogEntry.decode(Data("garbage".utf8)))
        var s = LogLineSplitter(stream: "stdout")
        let lines = Array("one\ntw".utf8).withUnsafeBytes { s.feed($0) }
        XCTAssertEqual(lines, ["one\n"])
        let more = Array("o\n".utf8).withUnsafeBytes { s.feed($0) }
        XCTAssertEqual(more, ["two\n"])
        _ = Array("tail".utf8).withUnsafeBytes { s.feed($0) }
        XCTAssertEqual(s.flush(), "tail")
        XCTAssertNil(s.flush())
    }

    func testProcStatParsing() {
        let stat = "1234 (we ird) name)) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 100"
        XCTAssertEqual(ProcessIdentity.parseStat(stat)?.startTime, 98765)
        XCTAssertEqual(ProcessIdentity.parseStat(stat)?.state, "S")
        XCTAssertNil(ProcessIdentity.parseStat("1234 (x S 1"))
        XCTAssertNil(ProcessIdentity.parseStat(""))
        XCTAssertTrue(ProcessIdentity.of(getpid())!.isAlive)
        XCTAssertFalse(ProcessIdentity(pid: getpid(), startTime: 1).isAlive)
    }
}

final class LimitsAndNetworkFilesTests: XCTestCase {
    func testMemoryParsing() throws {
        XCTAssertEqual(try ResourceLimits.parseMemory("512m"), 512 << 20)
        XCTAssertEqual(try ResourceLimits.parseMemory("1g"), 1 << 30)
        XCTAssertEqual(try ResourceLimits.parseMemory("10485760"), 10485760)
        for bad in ["", "m", "-1m", "12q", "1k", "nan"] { XCTAssertThrowsError(try ResourceLimits.parseMemory(bad), bad) }
        XCTAssertThrowsError(try ResourceLimits.parseCPUs("0"))
        XCTAssertEqual(try ResourceLimits.parseCPUs("1.5"), 1.5)
    }

    func testCgroupFilesWrittenIntoADelegatedFolder() throws {
        let dir = NSTemporaryDirectory() + "cg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "cpu memory pids\n".write(toFile: dir + "/cgroup.controllers", atomically: true, encoding: .utf8)
        let limits = ResourceLimits(memoryBytes: 64 << 20, cpus: 0.5, pids: 100)
        let cg = try CgroupDelegation(directory: dir).createCgroup(for: String(repeating: "a", count: 64), limits: limits)
        XCTAssertEqual(try String(contentsOfFile: dir + "/cgroup.subtree_control", encoding: .utf8), "+memory +cpu +pids")
        XCTAssertEqual(try String(contentsOfFile: cg + "/memory.max", encoding: .utf8), String(64 << 20))
        XCTAssertEqual(try String(contentsOfFile: cg + "/cpu.max", encoding: .utf8), "50000 100000")
        XCTAssertEqual(try String(contentsOfFile: cg + "/pids.max", encoding: .utf8), "100")
        try "cpu\n".write(toFile: dir + "/cgroup.controllers", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CgroupDelegation(directory: dir).createCgroup(for: String(repeating: "b", count: 64), limits: limits))
    }

    func testNoDelegationIsAClearError() throws {
        let dir = NSTemporaryDirectory() + "cgx-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "1:memory:/x\n".write(toFile: dir + "/cgroup", atomically: true, encoding: .utf8)
        try "".write(toFile: dir + "/mountinfo", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CgroupDelegation.find(procSelfCgroup: dir + "/cgroup", mountinfo: dir + "/mountinfo")) {
            XCTAssertTrue("\($0)".contains("cgroup v2"), "\($0)")
        }
        let mi = "30 25 0:26 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
        XCTAssertEqual(CgroupDelegation.cgroup2MountPoint(mountinfo: mi), "/sys/fs/cgroup/unified")
    }

    /// exec finds the container's cgroup from where its init is, and only
    /// ever that container's `hutch-<id>` folder.
    func testContainerCgroupIsWhereItsInitIs() throws {
        let dir = NSTemporaryDirectory() + "cgc-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = "0123456789ab" + String(repeating: "c", count: 52)
        try "30 25 0:26 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n".write(toFile: dir + "/mountinfo", atomically: true, encoding: .utf8)
        let cases: [(String, String?)] = [
            ("0::/user.slice/user-1000.slice/user@1000.service/app.slice/hutch-0123456789ab\n",
             "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/hutch-0123456789ab"),
            ("12:pids:/x\n1:name=systemd:/y\n0::/d/hutch-0123456789ab\n", "/sys/fs/cgroup/d/hutch-0123456789ab"),
            ("0::/d/hutch-ffffffffffff\n", nil),        // another container's
            ("0::/user.slice/session-3.scope\n", nil),  // not in a cgroup of its own
            ("0::/\n", nil),
            ("4:memory:/d/hutch-0123456789ab\n", nil),  // cgroup v1 only
            ("", nil),
        ]
        for (text, expected) in cases {
            try text.write(toFile: dir + "/cgroup", atomically: true, encoding: .utf8)
            let found = try? CgroupDelegation.containerCgroup(of: 1, id: id, procCgroup: dir + "/cgroup", mountinfo: dir + "/mountinfo")
            XCTAssertEqual(found, expected, text)
        }
        try "0::/d/hutch-ffffffffffff\n".write(toFile: dir + "/cgroup", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CgroupDelegation.containerCgroup(of: 1, id: id, procCgroup: dir + "/cgroup", mountinfo: dir + "/mountinfo")) {
            XCTAssertTrue("\($0)".contains("not in its cgroup hutch-0123456789ab"), "\($0)")
        }
    }

    func testNetworkFiles() throws {
        let hosts = NetworkFiles.hosts(hostname: "abc", containerAddress: nil, addHosts: [try NetworkFiles.parseAddHost("db:10.0.0.5")])
        XCTAssertTrue(hosts.contains("10.0.0.5\tdb\n"))
        XCTAssertTrue(hosts.contains("127.0.0.1\tlocalhost"))
        for bad in ["db", ":1.2.3.4", "db:", "db:notanip"] { XCTAssertThrowsError(try NetworkFiles.parseAddHost(bad), bad) }
        XCTAssertEqual(NetworkFiles.resolvConf(dns: ["1.1.1.1"], network: "private", hostResolvConf: "nameserver 9.9.9.9\nsearch lan\n"),
                       "nameserver 1.1.1.1\nsearch lan\n")
        XCTAssertEqual(NetworkFiles.resolvConf(dns: [], network: "private", hostResolvConf: "nameserver 127.0.0.53\n"),
                       "nameserver 169.254.1.1\n")
        XCTAssertEqual(NetworkFiles.resolvConf(dns: [], network: "private", hostResolvConf: "nameserver 127.0.0.53\n", slirp: true),
                       "nameserver 10.0.2.3\n")
        XCTAssertEqual(NetworkFiles.resolvConf(dns: [], network: "host", hostResolvConf: "nameserver 10.1.1.1\n"), "nameserver 10.1.1.1\n")
        XCTAssertEqual(NetworkFiles.defaultGateway(routeTable: "Iface\tDestination\tGateway\neth0\t00000000\t0102A8C0\t0003\n"), "192.168.2.1")
    }

    func testSignals() throws {
        XCTAssertEqual(try Signals.parse("SIGTERM"), SIGTERM)
        XCTAssertEqual(try Signals.parse("kill"), SIGKILL)
        XCTAssertEqual(try Signals.parse("9"), 9)
        XCTAssertEqual(try Signals.parse("RTMIN+1"), 35)
        for bad in ["", "SIGFOO", "0", "65", "-1"] { XCTAssertThrowsError(try Signals.parse(bad), bad) }
    }
}
