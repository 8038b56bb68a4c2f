import XCTest
@testable import Registry

final class HutchConfigTests: XCTestCase {
    func testFullExample() throws {
        let text = """
        # hutch's settings
        [storage]
        root = "/srv/hutch"
        union = "overlay"

        [security]
        seccomp_profile = "strict"

        [registries]
        insecure = ["registry.lab:5000", "10.0.0.7:5000"]

        [[registries.mirror]]
        prefix = "docker.io"
        location = "127.0.0.1:5000"

        [[registries.mirror]]
        prefix = "quay.io/org/"
        location = "mirror.lab/quay"
        insecure = true
        fallback = true
        """
        let config = try HutchConfig.parse(text)
        XCTAssertEqual(config.storageRoot, "/srv/hutch")
        XCTAssertEqual(config.union, .overlay)
        XCTAssertEqual(config.seccompProfile, "strict")
        XCTAssertEqual(config.insecureRegistries, ["registry.lab:5000", "10.0.0.7:5000"])
        XCTAssertEqual(config.mirrors, [
            RegistryMirror(prefix: "docker.io", location: "127.0.0.1:5000"),
            RegistryMirror(prefix: "quay.io/org", location: "mirror.lab/quay", insecure: true, fallback: true),
        ])
        XCTAssertTrue(config.isInsecure(host: "REGISTRY.lab:5000"))
    }

    func testDefaultsWhenEmpty() throws {
        let config = try HutchConfig.parse("")
        XCTAssertEqual(config, HutchConfig())
        XCTAssertEqual(config.union, .auto)
        XCTAssertEqual(config.seccompProfile, "default")
        XCTAssertNil(config.storageRoot)
    }

    func testSeccompProfileIsANameOrAnAbsolutePath() throws {
        let home = HutchConfig.homeDirectory(environment: ProcessInfo.processInfo.environment)
        let cases: [(String, String)] = [
            ("strict", "strict"),
            ("unconfined", "unconfined"),
            ("/etc/hutch/deny.json", "/etc/hutch/deny.json"),
            ("~/profiles/deny.json", home + "/profiles/deny.json"),
        ]
        for (written, expected) in cases {
            let config = try HutchConfig.parse("[security]\nseccomp_profile = \"\(written)\"")
            XCTAssertEqual(config.seccompProfile, expected, written)
        }
    }

    func testRefusesBrokenFilesNamingTheProblem() {
        let cases: [(String, String)] = [
            ("[storage", "line 1"),
            ("root = ", "line 1"),
            ("[storage]\nroot = \"unterminated\n", "line 2"),
            ("[storage]\nroot = 5", "storage.root must be a string"),
            ("[storage]\nroot = \"relative/path\"", "absolute path"),
            ("[storage]\nunion = \"zfs\"", "\"fuse\", \"overlay\" or \"auto\""),
            ("[storage]\nroot = \"/a\"\nroot = \"/b\"", "line 3"),
            ("[storage]\nrooot = \"/a\"", "unknown key \"rooot\" in [storage]"),
            ("[network]\nmode = \"host\"", "unknown key \"network\" at the top level"),
            ("storage = 1", "storage must be a table"),
            ("[registries]\ninsecure = \"host:5000\"", "array of strings"),
            ("[registries]\ninsecure = [1, 2]", "only strings"),
            ("[registries]\ninsecure = [\"http://host:5000\"]", "without a scheme"),
            ("[registries]\ninsecure = [\"bad host\"]", "not a host[:port]"),
            ("[registries]\nmirror = \"x\"", "[[registries.mirror]]"),
            ("[[registries.mirror]]\nlocation = \"127.0.0.1:5000\"", "has no prefix"),
            ("[[registries.mirror]]\nprefix = \"docker.io\"", "has no location"),
            ("[[registries.mirror]]\nprefix = \"docker.io\"\nlocation = \"x\"\nfallback = \"yes\"", "must be true or false"),
            ("[[registries.mirror]]\nprefix = \"docker.io\"\nlocation = \"x\"\nweight = 1", "unknown key \"weight\""),
            ("[security]\nseccomp_profile = \"\"", "is empty"),
            ("[security]\nseccomp_profile = true", "must be a string"),
            ("[security]\nseccomp_profile = \"profiles/deny.json\"", "absolute or starts with ~/"),
            ("[security]\nseccomp_profile = \"deny.json\"", "absolute or starts with ~/"),
            ("root = \"a\0b\"", "NUL byte"),
            ("\u{FEFF}\u{FFFE}[[[", "line 1"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try HutchConfig.parse(text, file: "/etc/hutch/config.toml"), text) { error in
                let message = String(describing: error)
                XCTAssertTrue(message.hasPrefix("config file /etc/hutch/config.toml: "), message)
                XCTAssertTrue(message.contains(expected), "\(text.debugDescription): \(message)")
            }
        }
    }

    func testTruncatedFilesNeverCrash() {
        let text = "[storage]\nroot = \"/srv\"\n[[registries.mirror]]\nprefix = \"docker.io\"\nlocation = \"127.0.0.1:5000\"\n"
        for n in 0...text.utf8.count {
            _ = try? HutchConfig.parse(String(decoding: Array(text.utf8).prefix(n), as: UTF8.self))
        }
    }

    func testUserFileOverridesSystemFile() throws {
        let dir = NSTemporaryDirectory() + "hutch-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let system = dir + "/system.toml", user = dir + "/user.toml"
        try """
        [storage]
        root = "/srv/hutch"
        union = "fuse"
        [registries]
        insecure = ["a:5000"]
        [[registries.mirror]]
        prefix = "docker.io"
        location = "system-mirror:5000"
        [[registries.mirror]]
        prefix = "quay.io"
        location = "quay-mirror:5000"
        """.write(toFile: system, atomically: true, encoding: .utf8)
        try """
        [storage]
        union = "overlay"
        [registries]
        insecure = ["b:5000", "a:5000"]
        [[registries.mirror]]
        prefix = "docker.io"
        location = "127.0.0.1:5000"
        """.write(toFile: user, atomically: true, encoding: .utf8)
        let config = try HutchConfig.load(files: [system, user, dir + "/missing.toml"])
        XCTAssertEqual(config.storageRoot, "/srv/hutch")
        XCTAssertEqual(config.union, .overlay)
        XCTAssertEqual(config.insecureRegistries, ["a:5000", "b:5000"])
        XCTAssertEqual(config.mirrors.map(\.location), ["quay-mirror:5000", "127.0.0.1:5000"])
    }

    func testDefaultFilesFollowXDG() {
        XCTAssertEqual(HutchConfig.defaultFiles(environment: ["HOME": "/home/a"]),
                       ["/etc/hutch/config.toml", "/home/a/.config/hutch/config.toml"])
        XCTAssertEqual(HutchConfig.defaultFiles(environment: ["HOME": "/home/a", "XDG_CONFIG_HOME": "/x"]),
                       ["/etc/hutch/config.toml", "/x/hutch/config.toml"])
        // A relative XDG_CONFIG_HOME is invalid per the spec: ignored.
        XCTAssertEqual(HutchConfig.configDirectory(environment: ["HOME": "/home/a", "XDG_CONFIG_HOME": "rel"]),
                       "/home/a/.config/hutch")
    }
}
