import XCTest
@testable import Sandbox

final class RunOptionsTests: XCTestCase {
    func testVolumes() throws {
        XCTAssertEqual(try VolumeMount.parse("/a:/b"), VolumeMount(source: "/a", target: "/b", readOnly: false))
        XCTAssertEqual(try VolumeMount.parse("/a:/b:ro"), VolumeMount(source: "/a", target: "/b", readOnly: true))
        XCTAssertEqual(try VolumeMount.parse("/a:/b:rw,z"), VolumeMount(source: "/a", target: "/b", readOnly: false))
        XCTAssertEqual(try VolumeMount.parse("/a:/b:Z,ro"), VolumeMount(source: "/a", target: "/b", readOnly: true))
        for bad in ["a:/b", "./a:/b", "/a:b", "/a", "/a:", ":/b", "/a:/b:bogus", "/a:/b:ro:x", "", ":::"] {
            XCTAssertThrowsError(try VolumeMount.parse(bad), bad)
        }
    }

    func testUlimits() throws {
        XCTAssertEqual(try ResourceLimit.parse("nofile=1024"), ResourceLimit(resource: 7, soft: 1024, hard: 1024))
        XCTAssertEqual(try ResourceLimit.parse("nofile=512:1024"), ResourceLimit(resource: 7, soft: 512, hard: 1024))
        XCTAssertEqual(try ResourceLimit.parse("core=-1"), ResourceLimit(resource: 4, soft: .max, hard: .max))
        XCTAssertEqual(try ResourceLimit.parse("nproc=10:unlimited"), ResourceLimit(resource: 6, soft: 10, hard: .max))
        for bad in ["nofile", "nofile=", "bogus=1", "nofile=a", "nofile=2:1", "nofile=1:2:3", "=1", "nofile=-2", "NOFILE=1"] {
            XCTAssertThrowsError(try ResourceLimit.parse(bad), bad)
        }
    }

    func testSecurityOptions() throws {
        XCTAssertEqual(try SecurityOptions.parse([]).seccomp, .defaultProfile)
        XCTAssertEqual(try SecurityOptions.parse(["seccomp=unconfined"]).seccomp, .unconfined)
        XCTAssertEqual(try SecurityOptions.parse(["seccomp=strict"]).seccomp, .profile("strict"))
        XCTAssertEqual(try SecurityOptions.parse(["seccomp=/a/b.json"]).seccomp, .profile("/a/b.json"))
        XCTAssertEqual(try SecurityOptions.parse(["seccomp:unconfined"]).seccomp, .unconfined)
        XCTAssertTrue(try SecurityOptions.parse(["no-new-privileges"]).noNewPrivileges)
        XCTAssertTrue(try SecurityOptions.parse(["no-new-privileges=true"]).noNewPrivileges)
        XCTAssertTrue(try SecurityOptions.parse(["no-new-privileges:true"]).noNewPrivileges)
        XCTAssertFalse(try SecurityOptions.parse(["no-new-privileges=false"]).noNewPrivileges)
        XCTAssertNoThrow(try SecurityOptions.parse(["apparmor=unconfined", "label=disable"]))
        for bad in ["seccomp", "seccomp=", "bogus=1", "no-new-privileges=maybe", "", "="] {
            XCTAssertThrowsError(try SecurityOptions.parse([bad]), bad)
        }
    }

    func testConfiguredSeccompIsAddedOnlyWhenNoOptionChoosesOne() {
        let cases: [(profile: String, given: [String], expected: [String])] = [
            ("strict", [], ["seccomp=strict"]),
            ("strict", ["no-new-privileges"], ["no-new-privileges", "seccomp=strict"]),
            ("strict", ["seccomp=unconfined"], ["seccomp=unconfined"]),
            ("strict", ["seccomp:other"], ["seccomp:other"]),
            // A broken choice stays for parse to refuse, not papered over.
            ("strict", ["seccomp="], ["seccomp="]),
            ("strict", ["seccomp"], ["seccomp"]),
            ("default", [], []),
            ("/p/deny.json", ["apparmor=x"], ["apparmor=x", "seccomp=/p/deny.json"]),
            ("unconfined", [], ["seccomp=unconfined"]),
        ]
        for c in cases {
            XCTAssertEqual(SecurityOptions.addingDefaultSeccomp(c.profile, to: c.given), c.expected, "\(c)")
        }
    }

    func testCapabilities() throws {
        let d = CapabilitySet.dockerDefault
        XCTAssertEqual(d.bits, 0xa80425fb) // what Docker's containers show as CapEff
        XCTAssertEqual(try CapabilitySet.resolve(add: [], drop: []), d)
        let withAdmin = try CapabilitySet.resolve(add: ["NET_ADMIN"], drop: [])
        XCTAssertTrue(withAdmin.contains(12))
        XCTAssertEqual(try CapabilitySet.resolve(add: ["cap_net_admin"], drop: []), withAdmin)
        XCTAssertEqual(try CapabilitySet.resolve(add: ["Net_Admin"], drop: []), withAdmin)
        XCTAssertFalse(try CapabilitySet.resolve(add: [], drop: ["CHOWN"]).contains(0))
        XCTAssertEqual(try CapabilitySet.resolve(add: [], drop: ["ALL"]), CapabilitySet())
        XCTAssertEqual(try CapabilitySet.resolve(add: ["CHOWN"], drop: ["ALL"]), CapabilitySet(bits: 1))
        XCTAssertEqual(try CapabilitySet.resolve(add: ["ALL"], drop: []), .all)
        XCTAssertFalse(try CapabilitySet.resolve(add: ["ALL"], drop: ["SYS_ADMIN"]).contains(21))
        for bad in ["CAP_BOGUS", "", "CAP_", "chown "] {
            XCTAssertThrowsError(try CapabilitySet.resolve(add: [bad], drop: []), bad)
        }
        XCTAssertEqual(CapabilitySet(bits: 3).description, "CAP_CHOWN,CAP_DAC_OVERRIDE")
    }

    func testEnvironment() throws {
        let host: (String) -> String? = { $0 == "HOSTVAR" ? "from-host" : nil }
        XCTAssertEqual(try EnvironmentOption.resolve("A=1", host: host), "A=1")
        XCTAssertEqual(try EnvironmentOption.resolve("A=", host: host), "A=")
        XCTAssertEqual(try EnvironmentOption.resolve("A=b=c", host: host), "A=b=c")
        XCTAssertEqual(try EnvironmentOption.resolve("HOSTVAR", host: host), "HOSTVAR=from-host")
        XCTAssertNil(try EnvironmentOption.resolve("UNSET", host: host))
        XCTAssertThrowsError(try EnvironmentOption.resolve("=x", host: host))
        XCTAssertThrowsError(try EnvironmentOption.resolve("", host: host))

        let file = "# comment\n\nA=1\r\n  B=two words\nHOSTVAR\nUNSET\nC=\n"
        XCTAssertEqual(try EnvironmentOption.parseFile(file, path: "f", host: host), ["A=1", "B=two words", "HOSTVAR=from-host", "C="])
        for bad in ["A B=1", "=1", "A\tB", "X=\0"] {
            XCTAssertThrowsError(try EnvironmentOption.parseFile(bad, path: "f", host: host), bad)
        }
    }

    func testEnvironmentDeduplicationKeepsPositionAndLastValue() {
        XCTAssertEqual(SandboxSpec.deduplicated(["PATH=/a", "X=1", "PATH=/b", "Y", "X=2"]), ["PATH=/b", "X=2", "Y"])
    }

    func testRandomContainerID() {
        let id = SandboxSpec.randomContainerID()
        XCTAssertEqual(id.count, 12)
        XCTAssertTrue(id.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        XCTAssertNotEqual(id, SandboxSpec.randomContainerID())
    }
}

final class HostnameTests: XCTestCase {
    func testHostnames() {
        for good in ["box", "a1b2c3d4e5f6", "web-01.example", "A", String(repeating: "a", count: 63)] {
            XCTAssertTrue(SandboxSpec.isValidHostname(good), good)
        }
        for bad in ["", "-box", "box-", "a..b", "a b", "bad_name", "é", String(repeating: "a", count: 64), "a\0b", "."] {
            XCTAssertFalse(SandboxSpec.isValidHostname(bad), bad)
        }
    }
}
