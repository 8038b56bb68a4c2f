import Foundation
import XCTest

/// `hutch info` reports this user's machine: checked for both test users.
final class InfoTests: XCTestCase {
    func testHumanOutput() throws {
        try Harness.forEachUser { user in
            let r = Harness.hutch(["info"], as: user)
            XCTAssertStatus(r, 0)
            for key in ["User:", "Kernel:", "User namespaces:", "Subuid range:", "newuidmap:", "/dev/fuse:", "Overlay in userns:",
                        "Seccomp:", "Cgroup version:", "Storage folder:", "Storage filesystem:", "hutch will use:", "Union filesystem:"] {
                XCTAssertTrue(r.stdout.contains(key), "info lacks \(key): \(r.stdout)")
            }
            XCTAssertTrue(r.stdout.contains(user.name))
            if !user.hasSubuid { XCTAssertTrue(r.stdout.contains("usermod --add-subuids"), "no range: the fix is named") }
        }
    }

    func testJSONReportsEachUsersSubuid() throws {
        try Harness.forEachUser { user in
            let r = Harness.hutch(["info", "--format", "json"], as: user)
            XCTAssertStatus(r, 0)
            guard let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else {
                return XCTFail("not a JSON object: \(r.stdout)")
            }
            XCTAssertEqual(json["user"] as? String, user.name)
            let subuid = json["subuid"] as? [[String: Any]] ?? []
            let subgid = json["subgid"] as? [[String: Any]] ?? []
            if user.hasSubuid {
                XCTAssertEqual(subuid.first?["start"] as? Int, 1_000_000)
                XCTAssertEqual(subuid.first?["count"] as? Int, 65536)
                XCTAssertEqual(subgid.first?["count"] as? Int, 65536)
                XCTAssertTrue(((json["uses"] as? [String: Any])?["idMapping"] as? String ?? "").hasPrefix("subuid range"))
            } else {
                XCTAssertTrue(subuid.isEmpty && subgid.isEmpty)
                XCTAssertTrue(((json["uses"] as? [String: Any])?["idMapping"] as? String ?? "").hasPrefix("single id"))
            }
            // This machine allows what the design relies on (kernel 6.x, /dev/fuse 0666).
            XCTAssertEqual((json["userNamespaces"] as? [String: Any])?["ok"] as? Bool, true)
            XCTAssertEqual((json["fuse"] as? [String: Any])?["ok"] as? Bool, true)
            XCTAssertEqual((json["kernelOverlay"] as? [String: Any])?["ok"] as? Bool, true)
            XCTAssertEqual((json["seccomp"] as? [String: Any])?["ok"] as? Bool, true)
            // The overlay try leaves nothing behind.
            let tmp = Harness.home(of: user) + "/.local/share/hutch/tmp"
            let left = (try? FileManager.default.contentsOfDirectory(atPath: tmp))?.filter { $0.hasPrefix("info-") } ?? []
            XCTAssertEqual(left, [])
        }
    }

    func testBadFormat() throws {
        try Harness.forEachUser { user in
            let r = Harness.hutch(["info", "--format", "yaml"], as: user)
            XCTAssertStatus(r, 125)
            XCTAssertTrue(r.stderr.hasPrefix("Error: "), r.stderr)
        }
    }
}
