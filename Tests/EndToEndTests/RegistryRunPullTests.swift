import Foundation
import XCTest

/// `hutch run IMAGE` pulls an image the store lacks from a real registry
/// (docker-registry on 127.0.0.1), saying so on stderr as Docker does.
///
/// hutch runs with its output in files, not the harness's pipes: if any
/// process it starts (the FUSE daemon, a pull's helper) outlived it holding
/// them, the harness would wait for their end forever, past its timeout
/// (which kills only the process it started). That is how an earlier
/// version of this test hung; here it is bounded and the leftover is named.
final class RegistryRunPullTests: XCTestCase {
    func testRunPullsAMissingImageThenUsesTheStoredOne() throws {
        let registry = try TestRegistry.start()
        defer { registry.stop() }
        let image = try TestImage.busybox()
        try registry.skopeoPush(image.layout, as: "library/busybox:latest")
        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "runpull")
            defer { Harness.removeTree(dir, as: user) }
            let env = TestRegistry.environment(dir)
            let name = "127.0.0.1:\(registry.port)/library/busybox"
            func run(_ args: String) -> (status: Int32, stdout: String, stderr: String) {
                let r = Harness.sh("timeout -s KILL 90 hutch run --rm \(args) >\(dir)/out 2>\(dir)/err </dev/null; echo $?",
                                   as: user, env: env, timeout: 100)
                let read = { (f: String) in (try? String(contentsOfFile: dir + "/" + f, encoding: .utf8)) ?? "" }
                return (Int32(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1, read("out"), read("err"))
            }
            let first = run("\(name) echo pulled-and-ran")
            XCTAssertEqual(first.status, 0, first.stderr)
            XCTAssertEqual(first.stdout, "pulled-and-ran\n")
            XCTAssertTrue(first.stderr.hasPrefix("Unable to find image '\(name):latest' locally\n"), first.stderr)
            XCTAssertTrue(first.stderr.contains("Pull complete"), first.stderr)
            XCTAssertTrue(first.stderr.contains("Digest: \(image.manifestDigest)\n"), first.stderr)
            XCTAssertTrue(first.stderr.contains("Status: Downloaded newer image for \(name):latest\n"), first.stderr)

            let images = Harness.hutch(["images", "--format", "{{.Repository}}:{{.Tag}}"], as: user, env: env)
            XCTAssertEqual(images.stdout, "\(name):latest\n")
            let second = run("\(name) echo from-the-store")
            XCTAssertEqual(second.status, 0, second.stderr)
            XCTAssertEqual(second.stdout, "from-the-store\n")
            XCTAssertEqual(second.stderr, "", "no pull the second time")

            // A name the registry lacks: Docker's message, exit 125, nothing recorded.
            let missing = run("127.0.0.1:\(registry.port)/library/absent true")
            XCTAssertEqual(missing.status, 125, missing.stderr)
            XCTAssertTrue(missing.stderr.hasPrefix("Unable to find image '127.0.0.1:\(registry.port)/library/absent:latest' locally\n"), missing.stderr)
            XCTAssertTrue(missing.stderr.contains("Error: "), missing.stderr)
            XCTAssertEqual(Harness.hutch(["images", "-q"], as: user, env: env).stdout.split(separator: "\n").count, 1)

            var left: [String] = []
            let gone = Harness.waitUntil(timeout: 5) {
                left = Harness.processes(of: user).filter { $0.contains(dir) || $0.contains("127.0.0.1:\(registry.port)") }
                return left.isEmpty
            }
            XCTAssertTrue(gone, "processes left behind: \(left)")
            let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
            XCTAssertFalse(mounts.contains(dir), "mounts left behind")
        }
    }
}
