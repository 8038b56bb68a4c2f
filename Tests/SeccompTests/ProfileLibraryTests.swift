import XCTest
@testable import Seccomp

final class ProfileLibraryTests: XCTestCase {
    func testExtendsAndRemove() throws {
        let folder = try ProfileFolder()
        defer { folder.remove() }
        try folder.write("base", #"{"defaultAction":"SCMP_ACT_ERRNO","description":"base","syscalls":[{"names":["read","write","ptrace"],"action":"SCMP_ACT_ALLOW"},{"names":["socket"],"action":"SCMP_ACT_ALLOW"}]}"#)
        try folder.write("middle", #"{"extends":"base","remove":["ptrace"],"syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ALLOW"}]}"#)
        try folder.write("top", #"{"extends":"middle","remove":["socket"],"description":"top","syscalls":[{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]}]}"#)
        let top = try folder.library.load(named: "top")
        XCTAssertNil(top.extends)
        XCTAssertEqual(top.description, "top")
        let resolved = try top.resolved(for: amd64)
        XCTAssertEqual(resolved.defaultAction, .errno(1))
        XCTAssertEqual(names(resolved, action: .allow), ["read", "write", "getpid"])
        XCTAssertEqual(resolved.rules.last?.conditions, [ResolvedCondition(index: 0, op: .equal, value: 1, valueTwo: 0)])
        XCTAssertEqual(try folder.library.load(named: "middle").description, "base")
    }

    func testExtendsErrors() throws {
        let folder = try ProfileFolder()
        defer { folder.remove() }
        try folder.write("a", #"{"extends":"b"}"#)
        try folder.write("b", #"{"extends":"c"}"#)
        try folder.write("c", #"{"extends":"a"}"#)
        try folder.write("self", #"{"extends":"self"}"#)
        try folder.write("missing", #"{"extends":"nothere"}"#)
        try folder.write("badname", #"{"extends":"../etc/passwd"}"#)
        try folder.write("unconf", #"{"extends":"unconfined"}"#)
        try folder.write("brokenbase", #"{"extends":"broken"}"#)
        try folder.write("broken", #"{"defaultAction": "#)
        let cases: [(String, String)] = [
            ("a", "extends makes a cycle: a -> b -> c -> a"),
            ("self", "no seccomp profile named \"self\""),
            ("missing", "no seccomp profile named \"nothere\""),
            ("badname", "is not a profile name"),
            ("unconf", "\"unconfined\" turns seccomp off"),
            ("brokenbase", "broken.json: not valid JSON"),
        ]
        for (name, expected) in cases {
            XCTAssertThrowsError(try folder.library.load(named: name)) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(name): \"\(error)\" lacks \(expected)")
            }
        }
    }

    func testUserProfileMayExtendTheInstalledOneOfTheSameName() throws {
        let user = try ProfileFolder(), installed = try ProfileFolder()
        defer { user.remove(); installed.remove() }
        try installed.write("default", #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}"#)
        try user.write("default", #"{"extends":"default","syscalls":[{"names":["write"],"action":"SCMP_ACT_ALLOW"}]}"#)
        let library = ProfileLibrary(searchPaths: [user.path, installed.path])
        let resolved = try library.load(named: "default").resolved(for: amd64)
        XCTAssertEqual(names(resolved, action: .allow), ["read", "write"])
        XCTAssertEqual(library.list().map(\.isShadowed), [false, true])
    }

    func testReferences() throws {
        let folder = try ProfileFolder()
        defer { folder.remove() }
        let file = try folder.write("mine", #"{"defaultAction":"SCMP_ACT_ALLOW"}"#)
        XCTAssertNil(try folder.library.load(reference: "unconfined"))
        XCTAssertNotNil(try folder.library.load(reference: file))
        XCTAssertNotNil(try folder.library.load(reference: "mine"))
        XCTAssertThrowsError(try folder.library.load(reference: "/no/such.json"))
        XCTAssertThrowsError(try folder.library.load(reference: "nosuch"))
    }

    func testStandardSearchPath() {
        let library = ProfileLibrary.standard(environment: ["HOME": "/home/u", "HUTCH_PROFILES_DIR": "/t"],
                                              executablePath: "/opt/x/bin/hutch")
        XCTAssertEqual(Array(library.searchPaths.prefix(3)), ["/t", "/home/u/.config/hutch/profiles", "/opt/x/share/hutch/profiles"])
        let xdg = ProfileLibrary.standard(environment: ["HOME": "/home/u", "XDG_CONFIG_HOME": "/cfg"], executablePath: "/usr/bin/hutch")
        XCTAssertEqual(xdg.searchPaths.first, "/cfg/hutch/profiles")
    }
}
