import XCTest
@testable import Registry

final class CredentialStoreTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "hutch-auth-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testStoreWritesDockerFormatWithMode0600AndKeepsOtherKeys() throws {
        let store = CredentialStore(authFile: dir + "/hutch/auth.json", dockerConfigFile: nil)
        try store.store(Credentials(username: "alice", password: "s3cr:et"), for: "127.0.0.1:5000")
        try store.store(Credentials(username: "bob", password: "pw"), for: "docker.io")
        var st = stat()
        XCTAssertEqual(stat(store.authFile, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: store.authFile))) as! [String: Any]
        let auths = json["auths"] as! [String: [String: String]]
        XCTAssertEqual(auths["127.0.0.1:5000"]?["auth"], Data("alice:s3cr:et".utf8).base64EncodedString())
        XCTAssertEqual(auths["https://index.docker.io/v1/"]?["auth"], Data("bob:pw".utf8).base64EncodedString())
        XCTAssertEqual(store.credentials(for: "127.0.0.1:5000"), Credentials(username: "alice", password: "s3cr:et"))
        XCTAssertEqual(store.credentials(for: "index.docker.io"), Credentials(username: "bob", password: "pw"))
        XCTAssertNil(store.credentials(for: "127.0.0.1:5001"))

        XCTAssertTrue(try store.remove(for: "127.0.0.1:5000"))
        XCTAssertFalse(try store.remove(for: "127.0.0.1:5000"))
        XCTAssertNil(store.credentials(for: "127.0.0.1:5000"))
        XCTAssertNotNil(store.credentials(for: "docker.io"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/hutch"), ["auth.json"])
    }

    func testReadsDockerConfigAndWarnsAboutHelpers() throws {
        let docker = dir + "/config.json"
        try """
        {"auths": {"https://registry.lab:5000/v1/": {"auth": "\(Data("carol:pw".utf8).base64EncodedString())"},
                   "other:5000": {"username": "dave", "password": "x"},
                   "broken:5000": {"auth": "not base64!"},
                   "nocolon:5000": {"auth": "\(Data("nocolon".utf8).base64EncodedString())"}},
         "credsStore": "desktop"}
        """.write(toFile: docker, atomically: true, encoding: .utf8)
        let store = CredentialStore(authFile: dir + "/auth.json", dockerConfigFile: docker)
        XCTAssertEqual(store.credentials(for: "registry.lab:5000"), Credentials(username: "carol", password: "pw"))
        XCTAssertEqual(store.credentials(for: "other:5000"), Credentials(username: "dave", password: "x"))
        XCTAssertNil(store.credentials(for: "broken:5000"))
        XCTAssertNil(store.credentials(for: "nocolon:5000"))
        XCTAssertEqual(store.warnings().count, 1)
        XCTAssertTrue(store.warnings()[0].contains("desktop"))
        // hutch's own file wins over docker's.
        try store.store(Credentials(username: "erin", password: "y"), for: "registry.lab:5000")
        XCTAssertEqual(store.credentials(for: "registry.lab:5000")?.username, "erin")
    }

    func testBrokenFilesAreIgnoredWithAWarning() throws {
        for text in ["", "{", "[]", "{\"auths\": 5}", "{\"auths\": {\"h\": 5}}", "\u{0}\u{1}"] {
            try text.write(toFile: dir + "/auth.json", atomically: true, encoding: .utf8)
            let store = CredentialStore(authFile: dir + "/auth.json", dockerConfigFile: nil)
            XCTAssertNil(store.credentials(for: "h"), text)
        }
        try "{".write(toFile: dir + "/auth.json", atomically: true, encoding: .utf8)
        let store = CredentialStore(authFile: dir + "/auth.json", dockerConfigFile: nil)
        XCTAssertEqual(store.warnings().count, 1)
        // Storing over a broken file refuses rather than losing it.
        XCTAssertThrowsError(try store.store(Credentials(username: "a", password: "b"), for: "h"))
    }

    func testRegistryKeys() {
        XCTAssertEqual(CredentialStore.registryKey("https://index.docker.io/v1/"), "docker.io")
        XCTAssertEqual(CredentialStore.registryKey("registry-1.docker.io"), "docker.io")
        XCTAssertEqual(CredentialStore.registryKey("http://Host:5000/path"), "host:5000")
        XCTAssertEqual(CredentialStore.storedKey("docker.io"), "https://index.docker.io/v1/")
    }
}
