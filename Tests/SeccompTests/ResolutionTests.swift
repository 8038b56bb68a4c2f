import XCTest
@testable import Seccomp

final class ResolutionTests: XCTestCase {
    let profile = try! ProfileDecoder.decode(Data(#"""
    {"defaultAction":"SCMP_ACT_ERRNO",
     "archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"]},
                {"architecture":"SCMP_ARCH_AARCH64","subArchitectures":["SCMP_ARCH_ARM"]}],
     "syscalls":[
      {"names":["always"],"action":"SCMP_ACT_ALLOW"},
      {"names":["admin"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}},
      {"names":["adminAndBoot"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN","CAP_SYS_BOOT"]}},
      {"names":["notAdmin"],"action":"SCMP_ACT_ALLOW","excludes":{"caps":["CAP_SYS_ADMIN"]}},
      {"names":["x86only"],"action":"SCMP_ACT_ALLOW","includes":{"arches":["amd64","x32"]}},
      {"names":["notS390"],"action":"SCMP_ACT_ALLOW","excludes":{"arches":["s390x"]}},
      {"names":["new"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"5.10"}},
      {"names":["old"],"action":"SCMP_ACT_ALLOW","excludes":{"minKernel":"5.10"}}
     ]}
    """#.utf8))

    func testIncludesAndExcludes() throws {
        let cases: [(String, SeccompTarget, Set<String>)] = [
            ("docker caps, amd64, 6.1", amd64, ["always", "notAdmin", "x86only", "notS390", "new"]),
            ("sys_admin added", SeccompTarget(capabilities: ["sys_admin"], architecture: "amd64", kernel: KernelVersion(major: 6, minor: 1)),
             ["always", "admin", "x86only", "notS390", "new"]),
            ("admin and boot", SeccompTarget(capabilities: ["CAP_SYS_ADMIN", "CAP_SYS_BOOT"], architecture: "x86_64", kernel: KernelVersion(major: 5, minor: 10)),
             ["always", "admin", "adminAndBoot", "x86only", "notS390", "new"]),
            ("arm64, old kernel", SeccompTarget(capabilities: [], architecture: "aarch64", kernel: KernelVersion(major: 4, minor: 19)),
             ["always", "notAdmin", "notS390", "old"]),
            ("s390x", SeccompTarget(capabilities: [], architecture: "s390x", kernel: KernelVersion(major: 6, minor: 0)),
             ["always", "notAdmin", "new"]),
        ]
        for (label, target, expected) in cases {
            XCTAssertEqual(names(try profile.resolved(for: target), action: .allow), expected, label)
        }
    }

    func testArchitectures() throws {
        XCTAssertEqual(try profile.resolved(for: amd64).architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        let arm = SeccompTarget(capabilities: [], architecture: "arm64", kernel: KernelVersion(major: 6, minor: 0))
        XCTAssertEqual(try profile.resolved(for: arm).architectures, ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"])
        let plain = try ProfileDecoder.decode(Data(#"{"defaultAction":"SCMP_ACT_ALLOW"}"#.utf8))
        XCTAssertEqual(try plain.resolved(for: amd64).architectures, ["SCMP_ARCH_X86_64"])
        let listed = try ProfileDecoder.decode(Data(#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86"]}"#.utf8))
        XCTAssertEqual(try listed.resolved(for: amd64).architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"])
    }

    func testErrnoDefaults() throws {
        let p = try ProfileDecoder.decode(Data(#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":13,"syscalls":[{"names":["a"],"action":"SCMP_ACT_ERRNO"},{"names":["b"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]}"#.utf8))
        let r = try p.resolved(for: amd64)
        XCTAssertEqual(r.defaultAction, .errno(13))
        XCTAssertEqual(r.rules.map(\.action), [.errno(13), .errno(38)])
        let q = try ProfileDecoder.decode(Data(#"{"defaultAction":"SCMP_ACT_ERRNO"}"#.utf8))
        XCTAssertEqual(try q.resolved(for: amd64).defaultAction, .errno(1))
    }

    /// The shipped profiles say what the issue asks, on this machine's kind of target.
    func testShippedProfiles() throws {
        let library = ProfileLibrary(searchPaths: [repositoryProfiles])
        let def = try library.load(named: "default").resolved(for: amd64)
        XCTAssertEqual(def.defaultAction, .errno(1))
        let allowed = names(def, action: .allow)
        for ordinary in ["read", "write", "openat", "execve", "mmap", "futex", "epoll_wait", "chroot", "ptrace", "fchmodat2", "arch_prctl"] {
            XCTAssertTrue(allowed.contains(ordinary), "default should allow \(ordinary)")
        }
        for denied in ["mount", "umount2", "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
                       "io_uring_setup", "io_uring_enter", "kexec_load", "init_module", "finit_module", "delete_module",
                       "clock_settime", "settimeofday", "swapon", "swapoff", "reboot", "open_by_handle_at", "setns", "unshare",
                       "clone", "clone3", "socket", "personality"] {
            XCTAssertFalse(allowed.contains(denied), "default should not allow \(denied) unconditionally")
        }
        XCTAssertTrue(def.rules.contains { $0.names == ["clone3"] && $0.action == .errno(38) })
        let admin = try library.load(named: "default").resolved(for: SeccompTarget(capabilities: ["CAP_SYS_ADMIN"], architecture: "amd64", kernel: amd64.kernel))
        XCTAssertTrue(names(admin, action: .allow).isSuperset(of: ["mount", "unshare", "setns", "clone", "clone3"]))
        let strict = try library.load(named: "strict").resolved(for: amd64)
        XCTAssertFalse(strict.rules.contains { $0.names.contains("ptrace") || $0.names.contains("socketcall") })
        XCTAssertEqual(strict.rules.filter { $0.names.contains("socket") }.map(\.conditions),
                       [[ResolvedCondition(index: 0, op: .equal, value: 1, valueTwo: 0)]])
    }
}
