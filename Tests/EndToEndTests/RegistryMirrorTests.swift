import Foundation
import XCTest

/// A mirror in the config file serves docker.io's `python:latest` from the
/// local registry, so `hutch pull python` works offline.
final class RegistryMirrorTests: XCTestCase {
    func testMirrorServesDockerHubNames() throws {
        let registry = try TestRegistry.start()
        defer { registry.stop() }
        let image = try TestImage.busybox()
        try registry.skopeoPush(image.layout, as: "library/python:latest")

        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "mirror")
            defer { Harness.removeTree(dir, as: user) }
            let env = TestRegistry.environment(dir)
            let config = """
            [[registries.mirror]]
            prefix = "docker.io"
            location = "127.0.0.1:\(registry.port)"
            """
            XCTAssertStatus(Harness.sh("mkdir -p \(dir)/config/hutch && cat > \(dir)/config/hutch/config.toml <<'EOF'\n\(config)\nEOF", as: user), 0)
            let pull = Harness.hutch(["pull", "python"], as: user, env: env)
            XCTAssertStatus(pull, 0)
            XCTAssertTrue(pull.stdout.hasPrefix("Using default tag: latest\nlatest: Pulling from library/python\n"), pull.stdout)
            XCTAssertTrue(pull.stdout.hasSuffix("Status: Downloaded newer image for python:latest\ndocker.io/library/python:latest\n"), pull.stdout)
            XCTAssertTrue(registry.log.contains("GET /v2/library/python/manifests/latest"), "served by the local registry")
            let images = Harness.hutch(["images", "python"], as: user, env: env)
            XCTAssertTrue(images.stdout.contains("python "), images.stdout)

            // A broken config file is an error naming the file and the line.
            XCTAssertStatus(Harness.sh("echo '[registries' >> \(dir)/config/hutch/config.toml", as: user), 0)
            let broken = Harness.hutch(["pull", "python"], as: user, env: env)
            XCTAssertStatus(broken, 125)
            XCTAssertTrue(broken.stderr.hasPrefix("Error: config file \(dir)/config/hutch/config.toml: line 4"), broken.stderr)
        }
    }
}
