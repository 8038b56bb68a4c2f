import XCTest
@testable import Seccomp

final class ProfileParsingTests: XCTestCase {
    /// Input, and the error text expected (nil: it must load).
    func testDecodingTable() throws {
        let cases: [(String, String, String?)] = [
            ("minimal", #"{"defaultAction":"SCMP_ACT_ALLOW"}"#, nil),
            ("docker format", #"""
             {"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,
              "archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"]}],
              "syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW","args":[],"comment":"","includes":{},"excludes":{}},
                          {"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}],
                           "excludes":{"caps":["CAP_SYS_ADMIN"],"arches":["s390","s390x"]}},
                          {"names":["ptrace"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"4.8"}}]}
             """#, nil),
            ("old single name", #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"read","action":"SCMP_ACT_ERRNO"}]}"#, nil),
            ("unknown keys ignored", #"{"defaultAction":"SCMP_ACT_ALLOW","whatever":[1,2]}"#, nil),
            ("empty file", "", "the file is empty"),
            ("whitespace", "  \n ", "the file is empty"),
            ("truncated", #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"#, "ends too early"),
            ("syntax error line 2", "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [,]}", "line 2"),
            ("top level array", "[1,2]", "expected"),
            ("names not strings", #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":[1],"action":"SCMP_ACT_ALLOW"}]}"#, "syscalls[0].names[0]"),
            ("negative index", #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":-1,"value":0,"op":"SCMP_CMP_EQ"}]}]}"#, "syscalls[0].args[0].index"),
            ("missing action", #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"]}]}"#, "missing \"action\""),
            ("huge number", #"{"defaultAction":"SCMP_ACT_ALLOW","defaultErrnoRet":99999999999999999999999}"#, "defaultErrnoRet"),
            ("binary junk", "\u{0}\u{1}\u{2}{", "not valid JSON"),
            ("null action", #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":null}]}"#, "syscalls[0].action"),
        ]
        for (label, json, expected) in cases {
            do {
                _ = try ProfileDecoder.decode(Data(json.utf8))
                XCTAssertNil(expected, "\(label): loaded but should fail with \(expected ?? "")")
            } catch {
                guard let expected else { XCTFail("\(label): \(error)"); continue }
                XCTAssertTrue("\(error)".contains(expected), "\(label): \"\(error)\" does not mention \(expected)")
            }
        }
    }

    func testResolutionErrorsNameThePath() throws {
        let cases: [(String, String)] = [
            (#"{"defaultAction":"SCMP_ACT_NOPE"}"#, "defaultAction: \"SCMP_ACT_NOPE\" is not a seccomp action"),
            (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERNO"}]}"#,
             "syscalls[0].action: \"SCMP_ACT_ERNO\" is not a seccomp action (did you mean \"SCMP_ACT_ERRNO\"?)"),
            (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQUAL"}]}]}"#,
             "syscalls[0].args[0].op: \"SCMP_CMP_EQUAL\" is not an argument operator"),
            (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}"#,
             "syscalls[0].args[0].index: argument index 6 is out of range"),
            (#"{"syscalls":[]}"#, "missing defaultAction"),
        ]
        for (json, expected) in cases {
            let profile = try ProfileDecoder.decode(Data(json.utf8))
            XCTAssertThrowsError(try profile.resolved(for: amd64)) { error in
                XCTAssertTrue("\(error)".hasPrefix(expected), "\"\(error)\" should start with \(expected)")
            }
        }
    }

    func testKernelVersions() {
        let cases: [(String, KernelVersion?)] = [
            ("6.18.44-fc-v669", KernelVersion(major: 6, minor: 18, patch: 44)),
            ("4.8", KernelVersion(major: 4, minor: 8)),
            ("5.10.0-28-amd64", KernelVersion(major: 5, minor: 10, patch: 0)),
            ("6.1-rc3", KernelVersion(major: 6, minor: 1)),
            ("", nil), ("abc", nil), ("4", nil), ("4.", nil),
        ]
        for (text, expected) in cases { XCTAssertEqual(KernelVersion(text), expected, text) }
        XCTAssertLessThan(KernelVersion("4.8")!, KernelVersion("4.10")!)
    }

    func testNearestName() {
        XCTAssertEqual(nearest(to: "opne", in: linuxSyscallNames), "open")
        XCTAssertEqual(nearest(to: "ptrac", in: linuxSyscallNames), "ptrace")
        XCTAssertNil(nearest(to: "completelywrong", in: ["open", "read"]))
    }
}
