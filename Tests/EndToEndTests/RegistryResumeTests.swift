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
            echo "status=$? kept=$(stat -c %s \(partial))"
            """
            let killed = Harness.sh(script, as: user, env: env, timeout: 60)
            XCTAssertStatus(killed, 0)
            XCTAssertTrue(killed.stdout.hasPrefix("status=137 kept="), killed.output)
            let kept = Int64(killed.stdout.split(separator: "=").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
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
            XCTAssertEqual(Harness.processes(of: user).filter { $0.contains(dir) || $0.contains(name) }, [])
            // The next user's pull starts with a clean proxy log.
            try "".write(toFile: proxyDir + "/log", atomically: false, encoding: .utf8)
        }
    }

    /// A pull killed with -9 while it unpacks a layer of 30000 files leaves a
    /// store that opens with no half image and no half layer; the next pull
    /// unpacks the layer from the blob already downloaded and completes.
    func testPullKilledDuringUnpackLeavesNoHalfImage() throws {
        let registry = try TestRegistry.start()
        defer { registry.stop() }
        let files = 30000
        let image = try TestImage.make("manyfiles", layers: 2) { folders in
            let base = Harness.run(["/bin/sh", Harness.harnessDir + "/make-busybox-rootfs.sh", folders[0]], as: nil)
            guard base.status == 0 else { throw HarnessError("make-busybox-rootfs.sh failed: \(base.output)") }
            let many = Harness.run(["/bin/sh", "-c", "mkdir -p '\(folders[1])/many' && cd '\(folders[1])/many' && seq -f 'f%g' 1 \(files) | xargs touch"], as: nil)
            guard many.status == 0 else { throw HarnessError("cannot make the files: \(many.output)") }
        }
        try registry.skopeoPush(image.layout, as: "many:latest")
        let manyDiffID = try Self.diffIDHexes(of: image)[1]
        let name = "127.0.0.1:\(registry.port)/many"

        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "unpackkill")
            defer { Harness.removeTree(dir, as: user) }
            let env = TestRegistry.environment(dir)
            let layers = dir + "/root/layers"
            // Kill once the big layer's files are being created in its staging folder.
            let script = """
            hutch pull \(name) > \(dir)/first.log 2>&1 &
            pid=$!
            i=0
            until [ -n "$(ls -d \(layers)/tmp-*/diff/many/f1 2>/dev/null)" ]; do
                i=$((i+1)); [ $i -gt 3000 ] && { kill -9 $pid; echo "the layer never started unpacking"; exit 3; }
                kill -0 $pid 2>/dev/null || { echo "pull ended before it could be killed"; cat \(dir)/first.log; exit 4; }
                sleep 0.01
            done
            kill -9 $pid
            wait $pid
            echo "status=$?"
            """
            let killed = Harness.sh(script, as: user, env: env, timeout: 60)
            XCTAssertStatus(killed, 0)
            XCTAssertEqual(killed.stdout, "status=137\n", killed.output)

            let images = Harness.hutch(["images", "-q"], as: user, env: env)
            XCTAssertStatus(images, 0)
            XCTAssertEqual(images.stdout, "", "no image appears before its layers are whole")
            let left = (try? FileManager.default.contentsOfDirectory(atPath: layers)) ?? []
            XCTAssertEqual(left.filter { $0.hasPrefix("tmp-") }, [], "opening the store removed the half-unpacked layer")
            XCTAssertFalse(left.contains(manyDiffID), "the layer was never complete: \(left)")

            let again = Harness.hutch(["pull", name], as: user, env: env, timeout: 120)
            XCTAssertStatus(again, 0)
            XCTAssertTrue(again.stdout.contains("Status: Downloaded newer image for \(name):latest"), again.stdout)
            let count = Harness.hutch(["run", "--rm", "--network", "none", name, "sh", "-c", "ls /many | wc -l"],
                                      as: user, env: env, timeout: 60)
            XCTAssertStatus(count, 0)
            XCTAssertEqual(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "\(files)")
            XCTAssertEqual(Harness.processes(of: user).filter { $0.contains(dir) || $0.contains(name) }, [])
        }
    }

    /// The config's diff_ids (hex), base first.
    static func diffIDHexes(of image: TestImage) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(image.layout)/blobs/sha256/\(image.configHex)"))
        let config = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let rootfs = config["rootfs"] as! [String: Any]
        return (rootfs["diff_ids"] as! [String]).map { String($0.dropFirst("sha256:".count)) }
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
