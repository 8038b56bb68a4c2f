import Foundation
import XCTest

/// How a pull moves bytes: blobs redirected to storage on another host, a
/// multi-layer image downloaded in parallel, progress bars on a terminal
/// and plain lines elsewhere; and what `images --digests` shows afterwards.
final class RegistryTransferTests: XCTestCase {
    /// Blob GETs answered 307 to "storage" on another host (127.0.0.2) that
    /// serves them from the registry: hutch follows, and its login, sent
    /// to the registry, never reaches the storage host.
    func testPullFollowsRedirectToBlobStorageWithoutSendingTheLogin() throws {
        let registry = try TestRegistry.start(("basic", "alice", "s3cret"))
        defer { registry.stop() }
        let image = try TestImage.busybox()
        try registry.skopeoPush(image.layout, as: "library/busybox:latest", credentials: "alice:s3cret")
        let proxy = try TestProxy.start("redirect-proxy.py", ["127.0.0.1:\(registry.port)", "alice:s3cret"])
        defer { proxy.stop() }
        let name = "127.0.0.1:\(proxy.port)/library/busybox"
        let blobs = [try RegistryResumeTests.layerHex(of: image), image.configHex]

        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "redirect")
            defer { Harness.removeTree(dir, as: user) }
            let env = TestRegistry.environment(dir)
            let login = Harness.hutch(["login", "-u", "alice", "--password-stdin", "127.0.0.1:\(proxy.port)"],
                                      as: user, stdin: "s3cret\n", env: env)
            XCTAssertStatus(login, 0)
            let pull = Harness.hutch(["pull", name], as: user, env: env)
            XCTAssertStatus(pull, 0)
            XCTAssertTrue(pull.stdout.contains("Status: Downloaded newer image for \(name):latest\n"), pull.stdout)
            let log = proxy.log
            for hex in blobs {
                let path = "/v2/library/busybox/blobs/sha256:\(hex)"
                XCTAssertTrue(log.contains("redirect GET \(path) authorization=yes\n"), "the registry redirected \(hex) once logged in:\n\(log)")
                let storage = log.split(separator: "\n").filter { $0.hasPrefix("storage GET \(path) ") }
                XCTAssertEqual(storage.count, 1, log)
                XCTAssertTrue(storage.first?.contains("authorization=no status=200 ") ?? false,
                              "the login must not go to the storage host: \(storage)")
            }
            // The pulled layer is whole and runs.
            let run = Harness.hutch(["run", "--rm", "--network", "none", name, "echo", "redirected"], as: user, env: env, timeout: 60)
            XCTAssertStatus(run, 0)
            XCTAssertEqual(run.stdout, "redirected\n")
            XCTAssertEqual(Harness.processes(of: user).filter { $0.contains(dir) }, [])
            proxy.clearLog()
        }
    }

    /// A three-layer image through a proxy that sends each body at 1 MB/s:
    /// each layer takes a second or more, so downloads one after the other
    /// could not overlap; hutch's three at a time all start before any ends.
    func testMultiLayerImageDownloadsItsLayersInParallel() throws {
        let registry = try TestRegistry.start()
        defer { registry.stop() }
        let image = try TestImage.make("layered3", layers: 3) { folders in
            let r = Harness.run(["/bin/sh", Harness.harnessDir + "/make-busybox-rootfs.sh", folders[0]], as: nil)
            guard r.status == 0 else { throw HarnessError("make-busybox-rootfs.sh failed: \(r.output)") }
            for (n, folder) in folders.dropFirst().enumerated() {
                let data = Harness.run(["/bin/sh", "-c", "mkdir -p '\(folder)/data' && head -c 1500000 /dev/urandom > '\(folder)/data/\(n + 1).bin'"], as: nil)
                guard data.status == 0 else { throw HarnessError("cannot make random data: \(data.output)") }
            }
        }
        try registry.skopeoPush(image.layout, as: "layered:latest")
        let layers = try Self.layerHexes(of: image)
        XCTAssertEqual(layers.count, 3)
        let proxy = try TestProxy.start("slow-proxy.py", ["127.0.0.1:\(registry.port)", "1000000"])
        defer { proxy.stop() }
        let name = "127.0.0.1:\(proxy.port)/layered"

        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "parallel")
            defer { Harness.removeTree(dir, as: user) }
            let env = TestRegistry.environment(dir)
            let pull = Harness.hutch(["pull", name], as: user, env: env, timeout: 60)
            XCTAssertStatus(pull, 0)
            for hex in layers {
                XCTAssertTrue(pull.stdout.contains("\(hex.prefix(12)): Pull complete\n"), pull.stdout)
            }
            // (begin, end) of each layer's body, from the proxy's `done` lines.
            var spans: [(Double, Double)] = []
            for hex in layers {
                let line = proxy.log.split(separator: "\n").first { $0.hasPrefix("done GET ") && $0.contains("/blobs/sha256:\(hex) ") }
                let fields = Dictionary(uniqueKeysWithValues: (line ?? "").split(separator: " ").compactMap { word -> (String, String)? in
                    let kv = word.split(separator: "=", maxSplits: 1)
                    return kv.count == 2 ? (String(kv[0]), String(kv[1])) : nil
                })
                guard let begin = fields["begin"].flatMap(Double.init), let end = fields["end"].flatMap(Double.init) else {
                    XCTFail("no finished download of layer \(hex) in the proxy's log:\n\(proxy.log)")
                    return
                }
                spans.append((begin, end))
            }
            let lastBegin = spans.map(\.0).max()!, firstEnd = spans.map(\.1).min()!
            XCTAssertLessThan(lastBegin, firstEnd, "every layer's download began before the first ended: \(spans)")

            let inspect = Harness.hutch(["image", "inspect", name], as: user, env: env)
            let json = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [[String: Any]]
            XCTAssertEqual(((json?.first?["RootFS"] as? [String: Any])?["Layers"] as? [String])?.count, 3, inspect.output)
            let run = Harness.hutch(["run", "--rm", "--network", "none", name, "sh", "-c", "wc -c < /data/1.bin; wc -c < /data/2.bin"],
                                    as: user, env: env, timeout: 60)
            XCTAssertStatus(run, 0)
            XCTAssertEqual(run.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }, ["1500000", "1500000"])
            XCTAssertEqual(Harness.processes(of: user).filter { $0.contains(dir) }, [])
            proxy.clearLog()
        }
    }

    /// On a terminal (`script` gives the pull a pty) each layer's line is
    /// redrawn in place with a bar; into a pipe, one plain line per step.
    func testPullShowsProgressBarsOnATerminalAndPlainLinesInAPipe() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            XCTFail("missing /usr/bin/script (Debian package bsdutils) to give the pull a terminal")
            return
        }
        let registry = try TestRegistry.start()
        defer { registry.stop() }
        let image = try TestImage.busybox()
        try registry.skopeoPush(image.layout, as: "library/busybox:latest")
        let layer = String(try RegistryResumeTests.layerHex(of: image).prefix(12))
        let name = "127.0.0.1:\(registry.port)/library/busybox"

        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "progress")
            defer { Harness.removeTree(dir, as: user) }
            let env = TestRegistry.environment(dir)
            let tty = Harness.sh("script -qec 'hutch pull \(name)' /dev/null < /dev/null", as: user, env: env, timeout: 60)
            XCTAssertStatus(tty, 0)
            let screen = tty.stdout
            XCTAssertTrue(screen.contains("\u{1b}[1A\r\u{1b}[2K\(layer): Downloading ["), "a bar drawn over the layer's line: \(screen.debugDescription)")
            XCTAssertTrue(screen.contains("\u{1b}[2K\(layer): Pull complete"), screen.debugDescription)
            XCTAssertTrue(screen.contains("Status: Downloaded newer image for \(name):latest"), screen.debugDescription)

            XCTAssertStatus(Harness.hutch(["rmi", name], as: user, env: env), 0)
            let plain = Harness.hutch(["pull", name], as: user, env: env, timeout: 60)
            XCTAssertStatus(plain, 0)
            let lines = plain.stdout.split(separator: "\n").map(String.init)
            XCTAssertEqual(lines.filter { $0.hasPrefix(layer + ": ") },
                           ["Pulling fs layer", "Verifying Checksum", "Download complete", "Extracting", "Pull complete"].map { layer + ": " + $0 },
                           plain.stdout)
            XCTAssertFalse(plain.stdout.contains("\u{1b}"), "no terminal codes in a pipe")
            XCTAssertFalse(plain.stdout.contains("Downloading"), "no progress bars in a pipe")
        }
    }

    /// `images --digests` shows a pulled image's manifest digest and
    /// `<none>` for an imported one; `images -a` lists what `images` lists.
    func testImagesDigestsAndAll() throws {
        let registry = try TestRegistry.start()
        defer { registry.stop() }
        let image = try TestImage.busybox()
        try registry.skopeoPush(image.layout, as: "library/busybox:latest")
        let name = "127.0.0.1:\(registry.port)/library/busybox"

        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "digests")
            defer { Harness.removeTree(dir, as: user) }
            let env = TestRegistry.environment(dir)
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            XCTAssertStatus(Harness.hutch(["pull", "-q", name], as: user, env: env), 0)
            XCTAssertStatus(Harness.sh("tar -C \(rootfs) -cf \(dir)/bb.tar .", as: user), 0)
            // Two imports under one tag: the first is left dangling.
            for message in ["first", "second"] {
                XCTAssertStatus(Harness.hutch(["import", "-m", message, dir + "/bb.tar", "local:1"], as: user, env: env), 0)
            }
            let images = Harness.hutch(["images", "--digests"], as: user, env: env)
            XCTAssertStatus(images, 0)
            let lines = images.stdout.split(separator: "\n").map(String.init)
            XCTAssertEqual(lines.first?.split(separator: " ", omittingEmptySubsequences: true),
                           ["REPOSITORY", "TAG", "DIGEST", "IMAGE", "ID", "CREATED", "SIZE"])
            let columns = lines.dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            XCTAssertEqual(columns.map { Array($0.prefix(3)) }.sorted { $0[0] < $1[0] }, [
                [name, "latest", image.manifestDigest],
                ["<none>", "<none>", "<none>"],
                ["local", "1", "<none>"],
            ].sorted { $0[0] < $1[0] }, images.stdout)
            let digest = Harness.hutch(["images", "--digests", "--format", "{{.Repository}} {{.Digest}}", name], as: user, env: env)
            XCTAssertEqual(digest.stdout, "\(name) \(image.manifestDigest)\n")

            // (CREATED may tick from one listing to the next: compared without it.)
            for flags in [["--format", "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}"],
                          ["--digests", "--format", "table {{.Repository}}\t{{.Digest}}\t{{.ID}}"], ["-q"], ["-q", "--no-trunc"]] {
                let plain = Harness.hutch(["images"] + flags, as: user, env: env)
                let all = Harness.hutch(["images", "-a"] + flags, as: user, env: env)
                XCTAssertStatus(all, 0)
                XCTAssertEqual(all.stdout, plain.stdout, "-a lists the same images: hutch makes no intermediate images")
            }
            XCTAssertEqual(Harness.hutch(["images", "-aq"], as: user, env: env).stdout.split(separator: "\n").count, 3)
        }
    }

    /// The layers' digests (hex), base first, from the image's manifest.
    static func layerHexes(of image: TestImage) throws -> [String] {
        let hex = image.manifestDigest.dropFirst("sha256:".count)
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(image.layout)/blobs/sha256/\(hex)"))
        let manifest = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return (manifest["layers"] as! [[String: Any]]).map { String(($0["digest"] as! String).dropFirst("sha256:".count)) }
    }
}

/// A Python proxy from Tests/harness (slow-proxy.py, redirect-proxy.py),
/// run for one test: its first argument is the file it writes its port to.
final class TestProxy {
    let dir: String
    let process: Process
    let port: String

    private init(dir: String, process: Process, port: String) {
        self.dir = dir
        self.process = process
        self.port = port
    }

    static func start(_ script: String, _ arguments: [String]) throws -> TestProxy {
        let dir = Harness.root + "/tmp/proxy-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // O_APPEND, so the proxy's lines land at the end after clearLog().
        let fd = open(dir + "/log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw HarnessError("cannot create \(dir)/log") }
        let log = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Harness.harnessDir + "/" + script, dir + "/port"] + arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
        var port = ""
        let started = Harness.waitUntil(timeout: 10) {
            port = ((try? String(contentsOfFile: dir + "/port", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            return !port.isEmpty || !process.isRunning
        }
        guard started, !port.isEmpty else {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            let output = (try? String(contentsOfFile: dir + "/log", encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: dir)
            throw HarnessError("\(script) did not start: \(output)")
        }
        return TestProxy(dir: dir, process: process, port: port)
    }

    var log: String { (try? String(contentsOfFile: dir + "/log", encoding: .utf8)) ?? "" }

    /// Empties the log (the proxy appends to the same open file).
    func clearLog() { truncate(dir + "/log", 0) }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: dir)
    }
}
