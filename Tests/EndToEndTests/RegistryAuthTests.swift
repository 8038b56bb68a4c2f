import Foundation
import XCTest

/// Logins: htpasswd basic auth, and the bearer token flow with a token
/// server, as each test user.
final class RegistryAuthTests: XCTestCase {
    func testBasicAuthLoginLogout() throws {
        let registry = try TestRegistry.start(("basic", "alice", "s3cret"))
        defer { registry.stop() }
        let image = try TestImage.busybox()
        try registry.skopeoPush(image.layout, as: "private/busybox:latest", credentials: "alice:s3cret")
        let name = "127.0.0.1:\(registry.port)/private/busybox"
        let server = "127.0.0.1:\(registry.port)"

        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "basic")
            defer { Harness.removeTree(dir, as: user) }
            let env = TestRegistry.environment(dir)
            let authFile = dir + "/config/hutch/auth.json"

            let anonymous = Harness.hutch(["pull", name], as: user, env: env)
            XCTAssertStatus(anonymous, 125)
            XCTAssertTrue(anonymous.stderr.contains("unauthorized") && anonymous.stderr.contains("hutch login \(server)"), anonymous.stderr)

            let wrong = Harness.hutch(["login", "-u", "alice", "--password-stdin", server], as: user, stdin: "nope\n", env: env)
            XCTAssertStatus(wrong, 125)
            XCTAssertTrue(wrong.stderr.contains("401 Unauthorized"), wrong.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: authFile), "a failed login saves nothing")

            let login = Harness.hutch(["login", "-u", "alice", "--password-stdin", server], as: user, stdin: "s3cret\n", env: env)
            XCTAssertStatus(login, 0)
            XCTAssertEqual(login.stdout, "Login Succeeded\n")
            let attributes = try FileManager.default.attributesOfItem(atPath: authFile)
            XCTAssertEqual((attributes[.posixPermissions] as? Int) ?? 0, 0o600)
            let saved = try String(contentsOfFile: authFile, encoding: .utf8)
            XCTAssertTrue(saved.contains(server) && saved.contains(Data("alice:s3cret".utf8).base64EncodedString()), saved)

            XCTAssertStatus(Harness.hutch(["pull", name], as: user, env: env), 0)
            let pushed = "\(server)/\(user.name)/busybox"
            XCTAssertStatus(Harness.hutch(["tag", name, pushed], as: user, env: env), 0)
            XCTAssertStatus(Harness.hutch(["push", pushed], as: user, env: env), 0)

            let logout = Harness.hutch(["logout", server], as: user, env: env)
            XCTAssertStatus(logout, 0)
            XCTAssertEqual(logout.stdout, "Removing login credentials for \(server)\n")
            XCTAssertFalse(try String(contentsOfFile: authFile, encoding: .utf8).contains(server))
            XCTAssertStatus(Harness.hutch(["pull", name], as: user, env: env), 125)
            XCTAssertEqual(Harness.hutch(["logout", server], as: user, env: env).stdout, "Not logged in to \(server)\n")
        }
    }

    func testBearerTokenFlow() throws {
        let registry = try TestRegistry.start(("token", "bob", "t0ken-pw"))
        defer { registry.stop() }
        let image = try TestImage.busybox()
        try registry.skopeoPush(image.layout, as: "library/busybox:latest", credentials: "bob:t0ken-pw")
        let name = "127.0.0.1:\(registry.port)/library/busybox"
        let server = "127.0.0.1:\(registry.port)"

        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "token")
            defer { Harness.removeTree(dir, as: user) }
            let env = TestRegistry.environment(dir)
            // The token server gives anonymous users pull rights only.
            let pull = Harness.hutch(["pull", name], as: user, env: env)
            XCTAssertStatus(pull, 0)
            XCTAssertTrue(registry.tokenLog.contains("token issued account=- access=[{\"type\": \"repository\", \"name\": \"library/busybox\", \"actions\": [\"pull\"]}]"),
                          registry.tokenLog)
            let pushed = "\(server)/\(user.name)/busybox"
            XCTAssertStatus(Harness.hutch(["tag", name, pushed], as: user, env: env), 0)
            let denied = Harness.hutch(["push", pushed], as: user, env: env)
            XCTAssertStatus(denied, 125)
            XCTAssertTrue(denied.stderr.contains("unauthorized"), denied.stderr)

            let wrong = Harness.hutch(["login", "-u", "bob", "-p", "wrong", server], as: user, env: env)
            XCTAssertStatus(wrong, 125)
            XCTAssertTrue(registry.tokenLog.contains("token denied user=bob"), registry.tokenLog)
            XCTAssertStatus(Harness.hutch(["login", "-u", "bob", "--password-stdin", server], as: user, stdin: "t0ken-pw", env: env), 0)
            let push = Harness.hutch(["push", pushed], as: user, env: env)
            XCTAssertStatus(push, 0)
            XCTAssertTrue(registry.tokenLog.contains("account=bob access=[{\"type\": \"repository\", \"name\": \"\(user.name)/busybox\", \"actions\": [\"pull\", \"push\"]}]"),
                          registry.tokenLog)
            let inspect = Harness.run(["/usr/bin/skopeo", "inspect", "--tls-verify=false", "--creds", "bob:t0ken-pw",
                                       "docker://\(pushed)"], as: nil)
            XCTAssertStatus(inspect, 0)
            XCTAssertStatus(Harness.hutch(["logout", server], as: user, env: env), 0)
        }
    }
}
