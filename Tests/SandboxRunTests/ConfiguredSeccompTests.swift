import Foundation
import XCTest
@testable import SandboxRun

/// The launcher hands a plain --rootfs run to the full CLI when a config
/// file may choose its seccomp profile; it must find the same files as
/// Registry.HutchConfig and never miss a file that names the key.
final class ConfiguredSeccompTests: XCTestCase {
    func testFindsTheFilesHutchConfigReads() {
        let cases: [([String: String], String)] = [
            (["XDG_CONFIG_HOME": "/x/cfg", "HOME": "/home/a"], "/x/cfg/hutch/config.toml"),
            (["XDG_CONFIG_HOME": "relative", "HOME": "/home/a"], "/home/a/.config/hutch/config.toml"),
            (["XDG_CONFIG_HOME": "", "HOME": "/home/a"], "/home/a/.config/hutch/config.toml"),
            (["HOME": "/home/b"], "/home/b/.config/hutch/config.toml"),
        ]
        for (env, user) in cases {
            XCTAssertEqual(ConfiguredSeccomp.configFiles(environment: { env[$0] }), ["/etc/hutch/config.toml", user], "\(env)")
        }
    }

    func testHandsOverOnlyWhenAFileMentionsTheKeyAndNoOptionChooses() throws {
        let dir = NSTemporaryDirectory() + "configured-seccomp-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir + "/hutch", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = ["XDG_CONFIG_HOME": dir, "HOME": "/nonexistent"]
        let file = dir + "/hutch/config.toml"
        // The machine's file is outside the test's control: skip when it names the key itself.
        let machine = (try? String(contentsOfFile: "/etc/hutch/config.toml", encoding: .utf8)) ?? ""
        try XCTSkipIf(machine.contains("seccomp_profile"), "/etc/hutch/config.toml sets seccomp_profile")
        let cases: [(text: String?, opts: [String], handsOver: Bool)] = [
            (nil, [], false),
            ("", [], false),
            ("[storage]\nunion = \"fuse\"\n", [], false),
            ("[security]\nseccomp_profile = \"strict\"\n", [], true),
            ("security.seccomp_profile = \"strict\"\n", [], true),
            ("# seccomp_profile = \"strict\"\n", [], true),
            ("[security]\nseccomp_profile = \"strict\"\n", ["seccomp=unconfined"], false),
            ("[security]\nseccomp_profile = \"strict\"\n", ["no-new-privileges"], true),
            ("seccomp_profil", [], false),
        ]
        for c in cases {
            try? FileManager.default.removeItem(atPath: file)
            if let text = c.text { try text.write(toFile: file, atomically: false, encoding: .utf8) }
            XCTAssertEqual(ConfiguredSeccomp.mayChooseProfile(securityOpts: c.opts, environment: { env[$0] }), c.handsOver,
                           "\(c.text.debugDescription) \(c.opts)")
        }
    }

    func testByteSearch() {
        let key = Array("seccomp_profile".utf8)
        for (text, found) in [("", false), ("seccomp_profile", true), ("xxseccomp_profilexx", true),
                              ("seccomp_profil", false), ("sseccomp_profile", true), ("seccomp-profile", false)] {
            XCTAssertEqual(ConfiguredSeccomp.contains(Array(text.utf8), key), found, text)
        }
    }
}
