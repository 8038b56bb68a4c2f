import XCTest

/// The harness itself: the users exist as `make test` promised, and run unprivileged.
final class HarnessTests: XCTestCase {
    func testUsersAreUnprivileged() throws {
        try Harness.forEachUser { user in
            let r = Harness.run(["/usr/bin/id", "-u"], as: user)
            XCTAssertStatus(r, 0)
            XCTAssertNotEqual(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "0")
            let subuid = (try? String(contentsOfFile: "/etc/subuid", encoding: .utf8)) ?? ""
            XCTAssertEqual(subuid.split(separator: "\n").contains { $0.hasPrefix("\(user.name):") }, user.hasSubuid)
        }
    }

    func testHutchRunsAsTheUser() throws {
        try Harness.forEachUser { user in
            let r = Harness.hutch(["--version"], as: user)
            XCTAssertStatus(r, 0)
            XCTAssertFalse(r.stdout.isEmpty)
        }
    }
}
