import Foundation
import XCTest

/// Pull and push against a real registry (Debian's docker-registry on
/// 127.0.0.1), cross-checked with skopeo both ways.
final class RegistryPullPushTests: XCTestCase {
    func testPullsWhatSkopeoPushedAndPushesWhatSkopeoReads() throws {
        let registry = try TestRegistry.start()
        defer { registry.stop() }
        let image = try TestImage.busybox()
        try registry.skopeoPush(image.layout, as: "library/busybox:latest")
        let target = try TestRegistry.start()
        defer { target.stop() }

        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "pull")
            defer { Harness.removeTree(dir, as: user) }
            let env = TestRegistry.environment(dir)
            let name = "127.0.0.1:\(registry.port)/library/busybox"

            let first = Harness.hutch(["pull", name], as: user, env: env)
            XCTAssertStatus(first, 0)
            XCTAssertTrue(first.stdout.hasPrefix("Using default tag: latest\nlatest: Pulling from library/busybox\n"), first.stdout)
            XCTAssertTrue(first.stdout.contains(": Pull complete\n"), first.stdout)
            XCTAssertTrue(first.stdout.contains("Digest: \(image.manifestDigest)\n"), first.stdout)
            XCTAssertTrue(first.stdout.hasSuffix("Status: Downloaded newer image for \(name):latest\n\(name):latest\n"), first.stdout)
            XCTAssertFalse(first.stdout.contains("\u{1b}["), "no terminal codes when stdout is a pipe")

            let again = Harness.hutch(["pull", name], as: user, env: env)
            XCTAssertStatus(again, 0)
            XCTAssertTrue(again.stdout.contains(": Already exists\n"), again.stdout)
            XCTAssertTrue(again.stdout.contains("Status: Image is up to date for \(name):latest"), again.stdout)

            let images = Harness.hutch(["images"], as: user, env: env)
            XCTAssertStatus(images, 0)
            XCTAssertTrue(images.stdout.contains(name), images.stdout)

            // Push under another name to a second registry, then let skopeo
            // read it whole (it checks every blob's digest).
            let pushed = "127.0.0.1:\(target.port)/\(user.name)/busybox:v1"
            XCTAssertStatus(Harness.hutch(["tag", name, pushed], as: user, env: env), 0)
            let push = Harness.hutch(["push", pushed], as: user, env: env)
            XCTAssertStatus(push, 0)
            XCTAssertTrue(push.stdout.hasPrefix("The push refers to repository [127.0.0.1:\(target.port)/\(user.name)/busybox]\n"), push.stdout)
            XCTAssertTrue(push.stdout.contains(": Pushed\n"), push.stdout)
            XCTAssertTrue(push.stdout.hasSuffix("v1: digest: \(image.manifestDigest) size: \(image.manifestSize)\n"), push.stdout)
            let inspect = Harness.run(["/usr/bin/skopeo", "inspect", "--tls-verify=false", "docker://\(pushed)"], as: nil)
            XCTAssertStatus(inspect, 0)
            XCTAssertTrue(inspect.stdout.contains("\"Digest\": \"\(image.manifestDigest)\""), inspect.stdout)
            let copy = Harness.run(["/usr/bin/skopeo", "copy", "--src-tls-verify=false", "docker://\(pushed)",
                                    "oci:\(dir)/copied"], as: nil)
            XCTAssertStatus(copy, 0)

            // A second push finds the layer there; one to another repository
            // of the same registry the image came from mounts it.
            let repeatPush = Harness.hutch(["push", pushed], as: user, env: env)
            XCTAssertStatus(repeatPush, 0)
            XCTAssertTrue(repeatPush.stdout.contains(": Layer already exists\n"), repeatPush.stdout)
            let sibling = "127.0.0.1:\(registry.port)/\(user.name)/mounted"
            XCTAssertStatus(Harness.hutch(["tag", name, sibling], as: user, env: env), 0)
            let mount = Harness.hutch(["push", sibling], as: user, env: env)
            XCTAssertStatus(mount, 0)
            XCTAssertTrue(mount.stdout.contains(": Mounted from library/busybox\n"), mount.stdout)
            // Other suites may run as the same user meanwhile: only ours count.
            XCTAssertEqual(Harness.processes(of: user).filter { $0.contains(dir) || $0.contains("127.0.0.1:\(registry.port)") }, [])
        }
    }

    func testPlatformAndMissingImagesFailClearly() throws {
        let registry = try TestRegistry.start()
        defer { registry.stop() }
        let image = try TestImage.busybox()
        try registry.skopeoPush(image.layout, as: "library/busybox:latest")
        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "platform")
            defer { Harness.removeTree(dir, as: user) }
            let env = TestRegistry.environment(dir)
            let name = "127.0.0.1:\(registry.port)/library/busybox"
            // skopeo stored the layout's index entry as a plain manifest: a
            // pull by digest works and records no tag.
            let byDigest = Harness.hutch(["pull", "\(name)@\(image.manifestDigest)"], as: user, env: env)
            XCTAssertStatus(byDigest, 0)
            XCTAssertTrue(byDigest.stdout.contains("\(image.manifestDigest): Pulling from library/busybox"), byDigest.stdout)
            let missing = Harness.hutch(["pull", "127.0.0.1:\(registry.port)/no/such"], as: user, env: env)
            XCTAssertStatus(missing, 125)
            XCTAssertTrue(missing.stderr.hasPrefix("Error: manifest unknown"), missing.stderr)
            let otherPlatform = Harness.hutch(["pull", "--platform", "linux/s390x", name], as: user, env: env)
            XCTAssertStatus(otherPlatform, 125)
            XCTAssertTrue(otherPlatform.stderr.contains("does not match the specified platform: wanted linux/s390x, actual: linux/amd64"),
                          otherPlatform.stderr)
            let badPlatform = Harness.hutch(["pull", "--platform", "linux//", name], as: user, env: env)
            XCTAssertStatus(badPlatform, 125)
            XCTAssertTrue(badPlatform.stderr.contains("os/arch[/variant]"), badPlatform.stderr)
            let closed = Harness.hutch(["pull", "127.0.0.1:1/x"], as: user, env: env)
            XCTAssertStatus(closed, 125)
            XCTAssertTrue(closed.stderr.contains("cannot reach http://127.0.0.1:1/v2/"), closed.stderr)
        }
    }
}

/// A docker-registry started by Tests/harness/registry.sh for one test.
struct TestRegistry {
    let dir: String
    let port: Int

    /// `mode`: nil (anonymous), or ("basic"|"token", user, password).
    static func start(_ mode: (String, String, String)? = nil) throws -> TestRegistry {
        let dir = Harness.root + "/tmp/registry-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var argv = ["/bin/bash", Harness.harnessDir + "/registry.sh", "start", dir]
        if let (kind, user, password) = mode { argv += [kind, user, password] }
        let r = Harness.run(argv, as: nil, timeout: 60)
        guard r.status == 0, let port = Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw HarnessError("registry.sh could not start a registry: \(r.output)")
        }
        return TestRegistry(dir: dir, port: port)
    }

    func stop() {
        _ = Harness.run(["/bin/bash", Harness.harnessDir + "/registry.sh", "stop", dir], as: nil)
        try? FileManager.default.removeItem(atPath: dir)
    }

    var log: String { (try? String(contentsOfFile: dir + "/registry.log", encoding: .utf8)) ?? "" }
    var tokenLog: String { (try? String(contentsOfFile: dir + "/token.log", encoding: .utf8)) ?? "" }

    /// Pushes an OCI layout with skopeo (the independent client).
    func skopeoPush(_ layout: String, as name: String, credentials: String? = nil) throws {
        var argv = ["/usr/bin/skopeo", "copy", "--dest-tls-verify=false"]
        if let credentials { argv += ["--dest-creds", credentials] }
        argv += ["oci:\(layout)", "docker://127.0.0.1:\(port)/\(name)"]
        let r = Harness.run(argv, as: nil, timeout: 120)
        guard r.status == 0 else { throw HarnessError("skopeo copy failed: \(r.output)") }
    }

    /// The user's store and config folders inside a test's temp dir.
    static func environment(_ dir: String) -> [String: String] {
        ["HUTCH_ROOT": dir + "/root", "XDG_CONFIG_HOME": dir + "/config"]
    }
}

/// An OCI image layout made by Tests/harness/make-oci-image.sh.
struct TestImage {
    let layout: String
    let manifestDigest: String
    var manifestSize: Int {
        let hex = manifestDigest.dropFirst("sha256:".count)
        return ((try? FileManager.default.attributesOfItem(atPath: "\(layout)/blobs/sha256/\(hex)"))?[.size] as? Int) ?? -1
    }

    /// busybox-static's rootfs as one gzip layer, made once per test run.
    static func busybox() throws -> TestImage {
        try make("busybox") { rootfs in
            let r = Harness.run(["/bin/sh", Harness.harnessDir + "/make-busybox-rootfs.sh", rootfs], as: nil)
            guard r.status == 0 else { throw HarnessError("make-busybox-rootfs.sh failed: \(r.output)") }
        }
    }

    /// A layer of `megabytes` of random bytes (gzip cannot shrink it), for
    /// downloads slow enough to interrupt.
    static func big(megabytes: Int) throws -> TestImage {
        try make("big\(megabytes)") { rootfs in
            try FileManager.default.createDirectory(atPath: rootfs, withIntermediateDirectories: true)
            let r = Harness.run(["/bin/sh", "-c", "head -c \(megabytes)M /dev/urandom > '\(rootfs)/random.bin'"], as: nil)
            guard r.status == 0 else { throw HarnessError("cannot make random data: \(r.output)") }
        }
    }

    static func make(_ name: String, rootfs fill: (String) throws -> Void) throws -> TestImage {
        try make(name, layers: 1) { try fill($0[0]) }
    }

    /// An image of `layers` layers, base first, from the folders `fill` fills.
    static func make(_ name: String, layers: Int, rootfs fill: ([String]) throws -> Void) throws -> TestImage {
        let base = Harness.root + "/tmp/fixture-\(name)"
        let layout = base + "/oci"
        if let digest = try? String(contentsOfFile: base + "/digest", encoding: .utf8) {
            return TestImage(layout: layout, manifestDigest: digest)
        }
        try? FileManager.default.removeItem(atPath: base)
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let folders = layers == 1 ? [base + "/rootfs"] : (1...layers).map { base + "/rootfs\($0)" }
        try fill(folders)
        let r = Harness.run(["/bin/bash", Harness.harnessDir + "/make-oci-image.sh", layout] + folders, as: nil, timeout: 120)
        guard r.status == 0 else { throw HarnessError("make-oci-image.sh failed: \(r.output)") }
        let digest = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try digest.write(toFile: base + "/digest", atomically: true, encoding: .utf8)
        return TestImage(layout: layout, manifestDigest: digest)
    }
}
