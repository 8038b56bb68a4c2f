import XCTest
@testable import Registry

final class RegistryHostTests: XCTestCase {
    func testLoopbackAddresses() {
        let loopback = ["127.0.0.1", "127.0.0.1:5000", "127.1.2.3:80", "localhost", "localhost:5000", "LOCALHOST",
                        "reg.localhost:5000", "[::1]:5000", "[::1]"]
        let remote = ["128.0.0.1", "10.0.0.1:5000", "docker.io", "127.0.0.1.evil.com", "localhost.evil.com",
                      "127.0.0.256", "127.0.0", "1270.0.0.1", "[::2]:5000", "evil-localhost", ""]
        for name in loopback { XCTAssertTrue(RegistryHost.isLoopback(name), name) }
        for name in remote { XCTAssertFalse(RegistryHost.isLoopback(name), name) }
    }

    func testSchemeChoice() throws {
        var config = HutchConfig()
        config.insecureRegistries = ["lab:5000"]
        XCTAssertEqual(RegistryHost(name: "127.0.0.1:5000", config: config).baseURL, "http://127.0.0.1:5000")
        XCTAssertEqual(RegistryHost(name: "lab:5000", config: config).scheme, "http")
        XCTAssertEqual(RegistryHost(name: "lab:5001", config: config).scheme, "https")
        XCTAssertEqual(RegistryHost(name: "docker.io", config: config).baseURL, "https://registry-1.docker.io")
    }

    func testMirrorResolution() throws {
        var config = HutchConfig()
        config.mirrors = [
            RegistryMirror(prefix: "docker.io", location: "127.0.0.1:5000"),
            RegistryMirror(prefix: "docker.io/library/python", location: "127.0.0.1:6000/py", fallback: true),
            RegistryMirror(prefix: "quay.io/org", location: "mirror.lab:443/quay/org", insecure: true),
        ]
        func resolve(_ registry: String, _ repository: String) -> [String] {
            config.pullLocations(registry: registry, repository: repository).map { "\($0.host.scheme)://\($0)\($0.isMirror ? " (mirror)" : "")" }
        }
        XCTAssertEqual(resolve("docker.io", "library/busybox"), ["http://127.0.0.1:5000/library/busybox (mirror)"])
        // The longest prefix wins; this one allows falling back to the original.
        XCTAssertEqual(resolve("docker.io", "library/python"),
                       ["http://127.0.0.1:6000/py (mirror)", "https://docker.io/library/python"])
        // A prefix matches whole path components only.
        XCTAssertEqual(resolve("docker.io", "library/python3"), ["http://127.0.0.1:5000/library/python3 (mirror)"])
        XCTAssertEqual(resolve("quay.io", "org/app"), ["http://mirror.lab:443/quay/org/app (mirror)"])
        XCTAssertEqual(resolve("quay.io", "organisation/app"), ["https://quay.io/organisation/app"])
        XCTAssertEqual(resolve("ghcr.io", "a/b"), ["https://ghcr.io/a/b"])
        XCTAssertEqual(resolve("docker.io.evil", "library/busybox"), ["https://docker.io.evil/library/busybox"])
    }
}
