import Foundation
import XCTest

/// A pull killed with -9 in the middle of a big layer resumes where it
/// stopped, with a Range request, and ends with a verified image.
final class RegistryResumeTests: XCTestCase {
    func testKilledPullResumesWithRange() throws {
        let registry = try TestRegistry.start()
        defer { registry.stop() }
        let image = try TestImage.big(megabytes: 32)
        try registry.skopeoPush(image.layout, as: "big:latest")
        let layerHex = try Self.layerHex(of: image)

        // 8 MB/s through the proxy: the 32 MB layer takes 4 s, plenty of
        // time to be killed after its first 4 MB.
        let proxyDir = Harness.root + "/tmp/proxy-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: proxyDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: proxyDir) }
        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        proxy.arguments = [Harness.harnessDir + "/slow-proxy.py", proxyDir + "/port", "127.0.0.1:\(registry.port)", "8000000"]
        let proxyLog = FileHandle(forWritingAtPath: { FileManager.default.createFile(atPath: proxyDir + "/log", contents: nil); return proxyDir + "/log" }())!
        proxy.standardOutput = proxyLog
        proxy.standardError = proxyLog
        try proxy.run()
        defer { proxy.terminate(); proxy.waitUntilExit() }
        XCTAssertTrue(Harness.waitUntil(timeout: 10) { FileManager.default.fileExists(atPath: proxyDir + "/port")
            && !((try? String(contentsOfFile: proxyDir + "/port", encoding: .utf8)) ?? "").isEmpty }, "slow-proxy.py did not start")
        let proxyPort = try String(contentsOfFile: proxyDir + "/port", encoding: .utf8)
        let name = "127.0.0.1:\(proxyPort)/big"

        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "resume")
            defer { Harness.removeTree(dir, as: user) }
            let env = TestRegistry.environment(dir)
            let partial = dir + "/root/blobs/incoming/" + layerHex
            // Start the pull, wait (bounded) until 4 MB of the layer are on
            // disk, then kill -9 it.
            let script = """
            hutch pull \(name) > \(dir)/first.log 2>&1 &
            pid=$!
            i=0
            while [ "$(stat -c %s \(partial) 2>/dev/null || echo 0)" -lt 4000000 ]; do
                i=$((i+1)); [ $i -gt 600 ] && { kill -9 $pid; echo "layer never reached 4 MB"; exit 3; }
                kill -0 $pid 2>/dev/null || { echo "pull ended before it could be killed"; cat \(dir)/first.log; exit 4; }
                sleep 0.05
            done
            kill -9 $pid
            wait $pid
            stat -c %s \(partial)
            """
            let killed = Harness.sh(script, as: user, env: env, timeout: 60)
            XCTAssertStatus(killed, 137)
            let kept = Int64(killed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            XCTAssertGreaterThanOrEqual(kept, 4_000_000, killed.output)
            XCTAssertFalse(Harness.hutch(["images", "-q"], as: user, env: env).stdout.contains(image.configHex.prefix(12)),
                           "no half image is visible")

            let resumed = Harness.hutch(["pull", name], as: user, env: env, timeout: 60)
            XCTAssertStatus(resumed, 0)
            XCTAssertTrue(resumed.stdout.contains("Status: Downloaded newer image for \(name):latest"), resumed.stdout)
            let log = (try? String(contentsOfFile: proxyDir + "/log", encoding: .utf8)) ?? ""
            let rangeLine = log.split(separator: "\n").first { $0.contains("/blobs/sha256:\(layerHex)") && $0.contains("range=bytes=") }
            XCTAssertNotNil(rangeLine, "the second pull asked for the rest with a Range header:\n\(log)")
            if let rangeLine {
                XCTAssertTrue(rangeLine.contains("status=206"), String(rangeLine))
                let start = Int64(rangeLine.split(separator: "=")[2].split(separator: "-")[0]) ?? -1
                XCTAssertGreaterThanOrEqual(start, 4_000_000, String(rangeLine))
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: partial), "the partial file became the blob")
            XCTAssertEqual(Harness.processes(of: user), [])
            // The next user's pull starts with a clean proxy log.
            try "".write(toFile: proxyDir + "/log", atomically: false, encoding: .utf8)
        }
    }

    /// The hex of the image's only layer, from its manifest.
    static func layerHex(of image: TestImage) throws -> String {
        let hex = image.manifestDigest.dropFirst("sha256:".count)
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(image.layout)/blobs/sha256/\(hex)"))
        let manifest = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let layers = manifest["layers"] as! [[String: Any]]
        return String((layers[0]["digest"] as! String).dropFirst("sha256:".count))
    }
}

extension TestImage {
    var configHex: String {
        let hex = manifestDigest.dropFirst("sha256:".count)
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: "\(layout)/blobs/sha256/\(hex)")),
              let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let config = manifest["config"] as? [String: Any], let digest = config["digest"] as? String else { return "?" }
        return String(digest.dropFirst("sha256:".count))
    }
}
