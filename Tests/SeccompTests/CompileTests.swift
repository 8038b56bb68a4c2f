import Foundation
import XCTest
@testable import Seccomp

final class CompileTests: XCTestCase {
    /// The e2e prober, built once with cc, installs a filter and reports errnos.
    static let prober: String? = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        let source = url.appendingPathComponent("EndToEndTests/Support/syscall-probe.c").path
        let out = NSTemporaryDirectory() + "syscall-probe-\(getpid())"
        let r = run(["/usr/bin/cc", "-O1", "-o", out, source])
        return r.status == 0 ? out : nil
    }()

    static func run(_ argv: [String]) -> (status: Int32, stdout: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        let pipe = Pipe()
        p.standardOutput = pipe
        do { try p.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func probe(_ profile: String, capabilities: [String] = SeccompTarget.dockerDefaultCapabilities) throws -> [String: Int] {
        guard let prober = Self.prober else {
            XCTFail("cc could not build syscall-probe.c: install gcc and libc6-dev")
            return [:]
        }
        let library = ProfileLibrary(searchPaths: [repositoryProfiles])
        let filter = try library.load(named: profile).resolved(for: .host(capabilities: capabilities)).compileBPF()
        let file = NSTemporaryDirectory() + "filter-\(UUID().uuidString).bpf"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data(filter.bpf).write(to: URL(fileURLWithPath: file))
        let r = Self.run([prober, "--filter", file])
        XCTAssertEqual(r.status, 0, r.stdout)
        var result: [String: Int] = [:]
        for line in r.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let n = Int(parts[1]) { result[String(parts[0])] = n }
        }
        return result
    }

    func testCompiledProfilesDenyWhatTheySay() throws {
        let EPERM = 1, ENOSYS = 38
        var expected: [String: Int] = [
            "getpid": 0, "fork": 0, "mount": EPERM, "unshare": EPERM, "setns": EPERM, "keyctl": EPERM, "add_key": EPERM,
            "bpf": EPERM, "perf_event_open": EPERM, "userfaultfd": EPERM, "io_uring_setup": EPERM, "kexec_load": EPERM,
            "init_module": EPERM, "reboot": EPERM, "swapon": EPERM, "clock_settime": EPERM, "open_by_handle_at": EPERM,
            "ptrace": 0, "personality_0x1234": EPERM, "personality_query": 0, "socket_vsock": EPERM, "socket_alg": EPERM,
            "socket_inet": 0, "socket_unix": 0, "socketpair": 0, "clone3": ENOSYS, "clone_newuser": EPERM,
            "keyctl_i386": EPERM, "keyctl_x32": EPERM,
        ]
        XCTAssertEqual(try probe("default"), expected, "default")
        expected["ptrace"] = EPERM
        expected["socket_inet"] = EPERM
        XCTAssertEqual(try probe("strict"), expected, "strict")
    }

    func testExportIsBPF() throws {
        let library = ProfileLibrary(searchPaths: [repositoryProfiles])
        let filter = try library.load(named: "default").resolved(for: amd64).compileBPF()
        XCTAssertGreaterThan(filter.instructionCount, 50)
        XCTAssertEqual(filter.bpf.count % 8, 0)
        XCTAssertNil(filter.warning)
        // The first instruction loads seccomp_data.arch (BPF_LD|BPF_W|BPF_ABS, k = 4).
        XCTAssertEqual(Array(filter.bpf.prefix(8)), [0x20, 0, 0, 0, 4, 0, 0, 0])
    }

    func testUnknownSyscallsAreSkippedWithOneWarning() throws {
        let p = try ProfileDecoder.decode(Data(#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","mseal","listmount"],"action":"SCMP_ACT_ALLOW"},{"names":["mseal"],"action":"SCMP_ACT_LOG"}]}"#.utf8))
        let filter = try p.resolved(for: amd64).compileBPF()
        XCTAssertEqual(filter.unknownSyscalls, ["mseal", "listmount"])
        XCTAssertEqual(filter.warning?.split(separator: "\n").count, 1)
    }

    func testEveryActionCompiles() throws {
        for action in ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_LOG"] {
            let p = try ProfileDecoder.decode(Data(#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["keyctl"],"action":"\#(action)","errnoRet":5}]}"#.utf8))
            XCTAssertNoThrow(try p.resolved(for: amd64).compileBPF(), action)
        }
    }

    /// Compiling is on the container start path; the cache turns it into one small read.
    func testCacheHitsAndIsFaster() throws {
        let dir = NSTemporaryDirectory() + "seccomp-cache-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = FilterCache(directory: dir)
        let library = ProfileLibrary(searchPaths: [repositoryProfiles])
        let resolved = try library.load(named: "default").resolved(for: amd64)
        var start = DispatchTime.now().uptimeNanoseconds
        let first = try cache.filter(for: resolved, target: amd64)
        let compileNs = DispatchTime.now().uptimeNanoseconds - start
        start = DispatchTime.now().uptimeNanoseconds
        let second = try cache.filter(for: resolved, target: amd64)
        let hitNs = DispatchTime.now().uptimeNanoseconds - start
        start = DispatchTime.now().uptimeNanoseconds
        _ = try library.load(named: "default").resolved(for: amd64)
        let loadNs = DispatchTime.now().uptimeNanoseconds - start
        XCTAssertEqual(first.bpf, second.bpf)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).count, 1)
        print("seccomp: load+resolve \(loadNs / 1000) us, compile \(compileNs / 1000) us, cache hit \(hitNs / 1000) us")
        XCTAssertLessThan(hitNs, compileNs)
        // A different capability set is a different filter.
        let admin = SeccompTarget(capabilities: ["CAP_SYS_ADMIN"], architecture: "amd64", kernel: amd64.kernel)
        _ = try cache.filter(for: try library.load(named: "default").resolved(for: admin), target: admin)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).count, 2)
    }
}
