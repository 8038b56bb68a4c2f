import Foundation
import XCTest

/// `hutch import`, images, tag, inspect, history, rmi as both test users,
/// each with a store of its own under a temporary folder.
final class ImageTests: XCTestCase {
    func testImportListTagInspectHistoryRmi() throws {
        try Harness.forEachUser { user in
            let work = try Harness.tempDir(for: user, "images")
            defer { Harness.removeTree(work, as: user) }
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            let env = ["HUTCH_ROOT": work + "/store"]
            XCTAssertStatus(Harness.sh("tar -C \(rootfs) -czf \(work)/bb.tgz .", as: user), 0)

            let imported = Harness.hutch(["import", "--change", "CMD [\"sh\"]", "-m", "busybox fixture", work + "/bb.tgz", "busybox:e2e"],
                                         as: user, env: env)
            XCTAssertStatus(imported, 0)
            XCTAssertTrue(imported.stdout.hasPrefix("sha256:"), imported.stdout)
            let id = String(imported.stdout.dropFirst(7).prefix(12))

            let images = Harness.hutch(["images"], as: user, env: env)
            XCTAssertStatus(images, 0)
            let lines = images.stdout.split(separator: "\n").map(String.init)
            XCTAssertEqual(lines.first, "REPOSITORY   TAG       IMAGE ID       CREATED                  SIZE")
            XCTAssertTrue(lines.count == 2 && lines[1].hasPrefix("busybox      e2e       \(id)   "), images.stdout)

            XCTAssertStatus(Harness.hutch(["tag", "busybox:e2e", "pythontest"], as: user, env: env), 0)
            XCTAssertEqual(Harness.hutch(["images", "--format", "{{.Repository}}:{{.Tag}}"], as: user, env: env).stdout,
                           "busybox:e2e\npythontest:latest\n")
            XCTAssertEqual(Harness.hutch(["images", "-q"], as: user, env: env).stdout, id + "\n")

            let inspect = Harness.hutch(["image", "inspect", "pythontest"], as: user, env: env)
            XCTAssertStatus(inspect, 0)
            let json = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [[String: Any]]
            XCTAssertEqual((json?.first?["Config"] as? [String: Any])?["Cmd"] as? [String], ["sh"])
            XCTAssertEqual(json?.first?["Comment"] as? String, "busybox fixture")

            let history = Harness.hutch(["history", "pythontest"], as: user, env: env)
            XCTAssertTrue(history.stdout.hasPrefix("IMAGE          CREATED"), history.stdout)
            XCTAssertTrue(history.stdout.contains("busybox fixture"), history.stdout)

            // Removing one of two tags only untags.
            XCTAssertEqual(Harness.hutch(["rmi", "busybox:e2e"], as: user, env: env).stdout, "Untagged: busybox:e2e\n")
            let missing = Harness.hutch(["rmi", "nosuchimage"], as: user, env: env)
            XCTAssertEqual(missing.status, 1)
            XCTAssertEqual(missing.stderr, "Error: No such image: nosuchimage:latest\n")

            let rmi = Harness.hutch(["rmi", id], as: user, env: env)
            XCTAssertStatus(rmi, 0)
            XCTAssertTrue(rmi.stdout.hasPrefix("Untagged: pythontest:latest\nDeleted: sha256:\(id)"), rmi.stdout)
            XCTAssertEqual(Harness.hutch(["images", "-q"], as: user, env: env).stdout, "")
            let left = Harness.sh("ls \(work)/store/layers \(work)/store/blobs/sha256 \(work)/store/blobs/tmp", as: user)
            XCTAssertEqual(left.stdout.split(separator: "\n").filter { !$0.hasSuffix(":") && !$0.isEmpty }, [])
        }
    }

    /// config.toml's `[storage] root` is where every command keeps images;
    /// `$HUTCH_ROOT` and `--root` still come first.
    func testConfigFileStorageRootMovesTheStore() throws {
        try Harness.forEachUser { user in
            let work = try Harness.tempDir(for: user, "cfgroot")
            defer { Harness.removeTree(work, as: user) }
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            let configured = work + "/configured"
            let made = Harness.sh("""
                mkdir -p \(work)/config/hutch &&
                printf '[storage]\\nroot = "\(configured)"\\n' > \(work)/config/hutch/config.toml &&
                tar -C \(rootfs) -cf \(work)/bb.tar .
                """, as: user)
            XCTAssertStatus(made, 0)
            // No HUTCH_ROOT; without the config the store would be XDG_DATA_HOME's.
            let env = ["XDG_CONFIG_HOME": work + "/config", "XDG_DATA_HOME": work + "/data"]
            XCTAssertStatus(Harness.hutch(["import", work + "/bb.tar", "moved:1"], as: user, env: env), 0)
            let table = (try? String(contentsOfFile: configured + "/images.json", encoding: .utf8)) ?? ""
            XCTAssertTrue(table.contains("moved:1"), "the image is recorded in the configured store: \(table)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/data/hutch"), "nothing in the default place")
            XCTAssertEqual(Harness.hutch(["images", "--format", "{{.Repository}}:{{.Tag}}"], as: user, env: env).stdout, "moved:1\n")
            let info = Harness.hutch(["info"], as: user, env: env)
            XCTAssertTrue(info.stdout.contains("Storage folder:     \(configured) (from config file)\n"), info.stdout)
            // Running from it works (containers live there too).
            let run = Harness.hutch(["run", "--rm", "--network", "none", "moved:1", "echo", "from the configured store"], as: user, env: env, timeout: 60)
            XCTAssertStatus(run, 0)
            XCTAssertEqual(run.stdout, "from the configured store\n")

            var overridden = env
            overridden["HUTCH_ROOT"] = work + "/env-root"
            XCTAssertEqual(Harness.hutch(["images", "-q"], as: user, env: overridden).stdout, "", "HUTCH_ROOT comes first")
            XCTAssertEqual(Harness.hutch(["images", "-q", "--root", work + "/flag-root"], as: user, env: env).stdout, "",
                           "--root comes first")
            XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/env-root/images.json")
                          || FileManager.default.fileExists(atPath: work + "/env-root/store.lock"))
            XCTAssertEqual(Harness.hutch(["images", "-q"], as: user, env: env).stdout.count, 13, "still there without them")
        }
    }

    func testKillDuringImportLeavesNoHalfImage() throws {
        try Harness.forEachUser { user in
            let work = try Harness.tempDir(for: user, "kill")
            defer { Harness.removeTree(work, as: user) }
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            let env = ["HUTCH_ROOT": work + "/store"]
            XCTAssertStatus(Harness.sh("tar -C \(rootfs) -cf \(work)/bb.tar .", as: user), 0)
            // Kill at several moments of an import; the store must always load with no half image.
            for delay in ["0.01", "0.03", "0.06", "0.1"] {
                _ = Harness.sh("hutch import \(work)/bb.tar killed:\(delay.dropFirst(2)) & p=$!; sleep \(delay); kill -9 $p; wait $p",
                               as: user, env: env)
                let images = Harness.hutch(["images", "-q"], as: user, env: env)
                XCTAssertStatus(images, 0)
                // Every image listed is whole: its config and layers are there.
                for id in images.stdout.split(separator: "\n") {
                    XCTAssertStatus(Harness.hutch(["history", String(id)], as: user, env: env), 0)
                }
            }
            let done = Harness.hutch(["import", work + "/bb.tar", "whole"], as: user, env: env)
            XCTAssertStatus(done, 0)
            let tmp = Harness.sh("ls \(work)/store/layers | grep tmp- ; ls \(work)/store/blobs/tmp", as: user)
            XCTAssertEqual(tmp.stdout, "")
        }
    }
}
