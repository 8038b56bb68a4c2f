import XCTest
@testable import Seccomp

final class ProfileCheckerTests: XCTestCase {
    /// A profile body, the errors expected (substrings, in order) and a warning expected.
    func testCheckTable() throws {
        let folder = try ProfileFolder()
        defer { folder.remove() }
        try folder.write("base", #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}"#)
        let cases: [(String, String, [String], String?)] = [
            ("good", #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"}]}"#, [], nil),
            ("typo", #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"},{"names":["write"],"action":"SCMP_ACT_ALLOW"},{"names":["close"],"action":"SCMP_ACT_ALLOW"},{"names":["read","opne"],"action":"SCMP_ACT_ALLOW"}]}"#,
             [#"syscalls[3].names[1]: "opne" is not a Linux syscall (did you mean "open"?)"#], nil),
            ("bad action", #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"ALLOW"}]}"#,
             [#"syscalls[0].action: "ALLOW" is not a seccomp action"#], nil),
            ("bad op", #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"=="}]}]}"#,
             [#"syscalls[0].args[0].op: "==" is not an argument operator"#], nil),
            ("bad default", #"{"defaultAction":"SCMP_ACT_DENY"}"#, [#"defaultAction: "SCMP_ACT_DENY""#], nil),
            ("bad cap", #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMN"]}}]}"#,
             [#"syscalls[0].includes.caps[0]: "CAP_SYS_ADMN" is not a Linux capability (did you mean "CAP_SYS_ADMIN"?)"#], nil),
            ("bad minKernel", #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","excludes":{"minKernel":"new"}}]}"#,
             ["syscalls[0].excludes.minKernel"], nil),
            ("bad arch", #"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_Z80"]}"#, ["architectures[0]"], nil),
            ("empty names", #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":[],"action":"SCMP_ACT_ALLOW"}]}"#, ["syscalls[0]: a rule needs"], nil),
            ("bad remove", #"{"extends":"base","remove":["ptarce"]}"#, [#"remove[0]: "ptarce" is not a Linux syscall (did you mean "ptrace"?)"#], nil),
            ("cycle via base", #"{"extends":"nosuch"}"#, [#"no seccomp profile named "nosuch""#], nil),
            ("newer syscall only warns", #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","mseal"],"action":"SCMP_ACT_ALLOW"}]}"#,
             [], #"syscalls[0].names[1]: "mseal" is a Linux syscall libseccomp"#),
            ("arch specific known", #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["s390_runtime_instr","breakpoint","socketcall"],"action":"SCMP_ACT_ALLOW"}]}"#, [], nil),
            ("unknown key warns", #"{"defaultAction":"SCMP_ACT_ERRNO","syscals":[]}"#, [], #"syscals: unknown key, ignored (did you mean "syscalls"?)"#),
            ("syntax", "{\n\"defaultAction\": \"SCMP_ACT_ERRNO\"\n\"syscalls\": []}", ["line 3"], nil),
            ("truncated", #"{"defaultAction":"SCMP_ACT_ERRNO","sysc"#, ["ends too early"], nil),
        ]
        for (label, json, errors, warning) in cases {
            let file = try folder.write("case", json)
            let report = ProfileChecker.check(file: file, library: folder.library, target: amd64)
            let got = report.errors.map(\.description)
            XCTAssertEqual(got.count, errors.count, "\(label): \(got)")
            for (e, g) in zip(errors, got) { XCTAssertTrue(g.contains(e), "\(label): \"\(g)\" lacks \(e)") }
            for g in got { XCTAssertTrue(g.hasPrefix(file), "\(label): \(g) should name the file") }
            if let warning {
                XCTAssertTrue(report.warnings.contains { $0.contains(warning) }, "\(label): \(report.warnings)")
            }
        }
    }

    func testShippedProfilesCheckClean() throws {
        let library = ProfileLibrary(searchPaths: [repositoryProfiles])
        for name in ["default", "strict"] {
            let report = ProfileChecker.check(file: repositoryProfiles + "/\(name).json", library: library)
            XCTAssertEqual(report.errors.map(\.description), [], name)
            XCTAssertEqual(report.warnings, [], name)
        }
    }
}
