import XCTest
@testable import Sandbox

final class ContainerUserTests: XCTestCase {
    let passwd = """
    root:x:0:0:root:/root:/bin/sh
    www-data:x:33:33:www-data:/var/www:/bin/false
    student:x:1000:1000:student:/home/student:/bin/sh
    nohome:x:1001:1001:::/bin/sh
    broken:x:notanumber:1:x:/x:/bin/sh
    short:x:5
    nobody:x:65534:65534:nobody:/nonexistent:/bin/false
    """
    let group = """
    root:x:0:
    www-data:x:33:student
    student:x:1000:
    audio:x:29:student,other
    broken:x:abc:
    nogroup:x:65534:
    """

    func testResolves() throws {
        let cases: [(String, ContainerUser)] = [
            ("root", ContainerUser(uid: 0, gid: 0, groups: [0], home: "/root")),
            ("0", ContainerUser(uid: 0, gid: 0, groups: [0], home: "/root")),
            ("student", ContainerUser(uid: 1000, gid: 1000, groups: [1000, 33, 29], home: "/home/student")),
            ("1000", ContainerUser(uid: 1000, gid: 1000, groups: [1000, 33, 29], home: "/home/student")),
            ("student:www-data", ContainerUser(uid: 1000, gid: 33, groups: [33], home: "/home/student")),
            ("nobody:0", ContainerUser(uid: 65534, gid: 0, groups: [0], home: "/nonexistent")),
            ("4242", ContainerUser(uid: 4242, gid: 0, groups: [0], home: "/")),      // a number need not be listed
            ("4242:4343", ContainerUser(uid: 4242, gid: 4343, groups: [4343], home: "/")),
            ("nohome", ContainerUser(uid: 1001, gid: 1001, groups: [1001], home: "/")),
        ]
        for (spec, expected) in cases {
            XCTAssertEqual(try ContainerUser.resolve(spec, passwd: passwd, group: group), expected, spec)
        }
    }

    func testRejects() {
        let cases = ["bogus", "student:bogus", "", ":", "student:", ":33", "broken", "short", "x:y:z"]
        for spec in cases {
            XCTAssertThrowsError(try ContainerUser.resolve(spec, passwd: passwd, group: group), spec) { error in
                XCTAssertEqual((error as? SandboxError)?.exitCode, 125)
            }
        }
    }

    func testEmptyAndHostileFiles() throws {
        XCTAssertEqual(try ContainerUser.resolve("0", passwd: "", group: ""), ContainerUser(uid: 0, gid: 0, groups: [0], home: "/"))
        XCTAssertThrowsError(try ContainerUser.resolve("root", passwd: "\0\0\n:::::\n", group: "\n\n"))
        XCTAssertEqual(PasswdEntry.parse(String(repeating: ":", count: 10000)), [])
        XCTAssertEqual(GroupEntry.parse("g:x:99999999999999999999:"), [])
    }
}
