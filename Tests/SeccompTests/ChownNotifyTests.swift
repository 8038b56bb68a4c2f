import Foundation
import XCTest
@testable import Seccomp

final class ChownNotifyTests: XCTestCase {
    func resolve(_ json: String) throws -> ResolvedProfile {
        try ProfileDecoder.decode(Data(json.utf8)).resolved(for: amd64)
    }

    /// What each profile shape turns into: the allowed chown calls notify,
    /// denied ones stay denied, conditional ones are left alone.
    func testRulesAfterNotifyingChown() throws {
        let cases: [(String, String, Set<String>, Set<String>)] = [
            ("allow-list",
             #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","chown","fchown","lchown","fchownat"],"action":"SCMP_ACT_ALLOW"}]}"#,
             ["chown", "fchown", "lchown", "fchownat"], ["read"]),
            ("deny-list, chown not named",
             #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["keyctl"],"action":"SCMP_ACT_ERRNO"}]}"#,
             ["chown", "fchown", "lchown", "fchownat"], []),
            ("chown denied by the profile stays denied",
             #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["chown","lchown"],"action":"SCMP_ACT_ERRNO"}]}"#,
             ["fchown", "fchownat"], []),
            ("allow-list without chown",
             #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}"#,
             [], ["read"]),
            ("a conditional rule is left alone",
             #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["fchown","chown"],"action":"SCMP_ACT_ALLOW"},{"names":["fchown"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":0,"op":"SCMP_CMP_EQ"}]}]}"#,
             ["chown"], []),
            ("allowed then denied: the last rule decides",
             #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["chown","fchown"],"action":"SCMP_ACT_ALLOW"},{"names":["chown"],"action":"SCMP_ACT_ERRNO"}]}"#,
             ["fchown"], []),
        ]
        for (label, json, notified, stillAllowed) in cases {
            let before = try resolve(json)
            let after = before.notifyingChown()
            XCTAssertEqual(names(after, action: .notify), notified, label)
            XCTAssertTrue(names(after, action: .allow).isDisjoint(with: notified), label)
            XCTAssertEqual(names(after, action: .allow).subtracting(["chown", "fchown", "lchown", "fchownat"]), stillAllowed, label)
            XCTAssertEqual(after.defaultAction, before.defaultAction, label)
            if notified.isEmpty { XCTAssertEqual(after, before, label) }
            // A syscall left alone keeps its rules.
            for name in ["chown", "fchown", "lchown", "fchownat"] where !notified.contains(name) {
                XCTAssertEqual(after.rules.filter { $0.names.contains(name) }.map { "\($0.action) \($0.conditions)" },
                               before.rules.filter { $0.names.contains(name) }.map { "\($0.action) \($0.conditions)" }, "\(label): \(name)")
            }
            XCTAssertNoThrow(try after.compileBPF(), label)
        }
    }

    func testDefaultProfileCompilesWithANotifyReturn() throws {
        let library = ProfileLibrary(searchPaths: [repositoryProfiles])
        let resolved = try library.load(named: "default").resolved(for: amd64)
        let plain = try resolved.compileBPF()
        let notifying = try resolved.notifyingChown().compileBPF()
        XCTAssertEqual(names(resolved.notifyingChown(), action: .notify), Set(ResolvedProfile.chownSyscalls))
        // BPF_RET|BPF_K (0x06) with k = SECCOMP_RET_USER_NOTIF.
        func returnsNotify(_ f: CompiledFilter) -> Bool {
            let notify: [UInt8] = [0x06, 0, 0, 0, 0, 0, 0xc0, 0x7f]
            for i in stride(from: 0, to: f.bpf.count, by: 8) where Array(f.bpf[i..<(i + 8)]) == notify { return true }
            return false
        }
        XCTAssertFalse(returnsNotify(plain))
        XCTAssertTrue(returnsNotify(notifying))
        // A different filter is a different cache entry.
        XCTAssertNotEqual(FilterCache.key(for: resolved, target: amd64),
                          FilterCache.key(for: resolved.notifyingChown(), target: amd64))
    }

    func testFilterFunctionHonoursUnconfinedAndTheFlag() throws {
        let library = ProfileLibrary(searchPaths: [repositoryProfiles])
        XCTAssertNil(try seccompFilter(for: "unconfined", target: amd64, notifyingChown: true, library: library, cache: nil))
        let off = try XCTUnwrap(seccompFilter(for: nil, target: amd64, notifyingChown: false, library: library, cache: nil))
        let on = try XCTUnwrap(seccompFilter(for: nil, target: amd64, notifyingChown: true, library: library, cache: nil))
        XCTAssertNotEqual(off.bpf, on.bpf)
    }
}
