import Foundation
import XCTest

/// `image prune`, `system df` and `system prune` as both test users, on a
/// store holding each kind of thing they count: a dangling image, a tagged
/// unused one, an image a container uses, stopped and running containers,
/// and build cache whose layer no image has (a multi-stage build's first
/// stage). Layer sizes are chosen so every reclaimed figure is exact.
final class ImagePruneTests: XCTestCase {
    /// A user's private store and what the test made in it.
    struct Fixture {
        let user: TestUser
        let work: String
        var store: String { work + "/store" }
        var env: [String: String] { ["HUTCH_ROOT": store] }

        @discardableResult
        func hutch(_ args: [String], stdin: String? = nil) -> CommandResult {
            Harness.hutch(args, as: user, stdin: stdin, env: env, timeout: 120)
        }

        /// Imports `tar` as `name` and returns the image's full ID (sha256:...).
        func importImage(_ tar: String, _ name: String) -> String {
            let r = hutch(["import", work + "/" + tar, name])
            XCTAssertStatus(r, 0)
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        func imageIDs() -> Set<String> {
            Set(hutch(["images", "-q", "--no-trunc"]).stdout.split(separator: "\n").map(String.init))
        }

        /// The layer sizes the store recorded (layers/*/layer.json), by diffID.
        func layerSizes() -> [String: Int64] {
            var sizes: [String: Int64] = [:]
            for name in (try? FileManager.default.contentsOfDirectory(atPath: store + "/layers")) ?? [] {
                guard let data = FileManager.default.contents(atPath: "\(store)/layers/\(name)/layer.json"),
                      let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                      let size = json["size"] as? NSNumber else { continue }
                sizes["sha256:" + name] = size.int64Value
            }
            return sizes
        }

        func cacheEntries() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: store + "/build-cache")) ?? []).filter { !$0.contains(".") }.sorted()
        }

        /// The rows of `system df` by TYPE, each as its other columns.
        func df() -> [String: [String]] {
            let r = hutch(["system", "df"])
            XCTAssertStatus(r, 0)
            let lines = r.stdout.split(separator: "\n").map(String.init)
            XCTAssertEqual(lines.first, "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE", r.stdout)
            var rows: [String: [String]] = [:]
            for line in lines.dropFirst() {
                // TYPE may hold a space ("Local Volumes"); columns are 3+ spaces apart.
                let cells = line.components(separatedBy: "   ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                rows[cells[0]] = Array(cells.dropFirst())
            }
            return rows
        }
    }

    /// Tarballs: busybox (`bb.tar`), and two data layers of exactly 200000
    /// and 300000 bytes of file content (`a.tar`, `b.tar`).
    func makeFixture(_ user: TestUser) throws -> Fixture {
        let work = try Harness.tempDir(for: user, "prune")
        let rootfs = try Harness.busyboxRootfs(for: user)
        defer { Harness.removeTree(rootfs, as: user) }
        let made = Harness.sh("""
            set -e
            tar -C \(rootfs) -cf \(work)/bb.tar .
            mkdir \(work)/a \(work)/b
            head -c 200000 /dev/urandom > \(work)/a/a.bin
            head -c 300000 /dev/urandom > \(work)/b/b.bin
            tar -C \(work)/a -cf \(work)/a.tar .
            tar -C \(work)/b -cf \(work)/b.tar .
            """, as: user)
        XCTAssertStatus(made, 0)
        return Fixture(user: user, work: work)
    }

    func finish(_ f: Fixture, file: StaticString = #filePath, line: UInt = #line) {
        for name in ["runner", "stopped"] { _ = f.hutch(["rm", "-f", name]) }
        var ours: [String] = []
        let gone = Harness.waitUntil(timeout: 5) {
            ours = Harness.processes(of: f.user).filter { $0.contains(f.store) || $0.contains("sleep 319") }
            return ours.isEmpty
        }
        XCTAssertTrue(gone, "processes left behind: \(ours)", file: file, line: line)
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        XCTAssertFalse(mounts.contains(f.store), "mounts left behind", file: file, line: line)
        Harness.removeTree(f.work, as: f.user)
    }

    func testImagePruneRemovesDanglingThenUnusedImages() throws {
        try Harness.forEachUser { user in
            let f = try makeFixture(user)
            defer { finish(f) }
            let dangling = f.importImage("a.tar", "scratch:a")
            let unused = f.importImage("b.tar", "scratch:a")   // takes the tag: the first is dangling now
            let used = f.importImage("bb.tar", "busybox:used")
            XCTAssertStatus(f.hutch(["run", "--name", "stopped", "busybox:used", "true"]), 0)
            let layers = f.layerSizes()
            XCTAssertEqual(Set(layers.values), [200_000, 300_000, layers.values.max()!], "\(layers)")

            // Docker's question; anything but y/yes keeps everything.
            let declined = f.hutch(["image", "prune"], stdin: "n\n")
            XCTAssertStatus(declined, 0)
            XCTAssertEqual(declined.stdout, "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ")
            XCTAssertEqual(f.hutch(["image", "prune"], stdin: "").stdout.hasSuffix("[y/N] "), true, "end of input is a no")
            XCTAssertEqual(f.imageIDs(), [dangling, unused, used])

            let aLayer = layers.first { $0.value == 200_000 }!.key
            let pruned = f.hutch(["image", "prune", "-f"])
            XCTAssertStatus(pruned, 0)
            XCTAssertEqual(pruned.stdout, "Deleted Images:\ndeleted: \(dangling)\ndeleted: \(aLayer)\n\nTotal reclaimed space: 200kB\n")
            XCTAssertEqual(f.imageIDs(), [unused, used])
            XCTAssertEqual(f.hutch(["image", "prune", "-f"]).stdout, "Total reclaimed space: 0B\n")

            // -a: every image no container uses, the stopped container's too is kept.
            let bLayer = layers.first { $0.value == 300_000 }!.key
            let all = f.hutch(["image", "prune", "-a"], stdin: "yes\n")
            XCTAssertStatus(all, 0)
            XCTAssertEqual(all.stdout, """
                WARNING! This will remove all images without at least one container associated to them.
                Are you sure you want to continue? [y/N] Deleted Images:
                untagged: scratch:a
                deleted: \(unused)
                deleted: \(bLayer)

                Total reclaimed space: 300kB

                """)
            XCTAssertEqual(f.imageIDs(), [used])
            XCTAssertEqual(Set(f.layerSizes().keys), Set(layers.keys).subtracting([aLayer, bLayer]), "the layers went with their images")
        }
    }

    /// A multi-stage build whose first stage writes 70003 bytes; the final
    /// image copies 3 of them. The first stage's layer is kept by the build
    /// cache alone.
    func buildWithCacheOnlyLayer(_ f: Fixture) {
        let made = Harness.sh("""
            mkdir -p \(f.work)/ctx && printf '%s\\n' \
              'FROM busybox:used AS first' 'RUN head -c 70000 /dev/zero > /cached && echo hi > /small' \
              'FROM busybox:used' 'COPY --from=first /small /small' > \(f.work)/ctx/Dockerfile
            """, as: f.user)
        XCTAssertStatus(made, 0)
        XCTAssertStatus(f.hutch(["build", "-q", "-t", "built:1", f.work + "/ctx"]), 0)
    }

    func testSystemDfCountsImagesContainersAndBuildCache() throws {
        try Harness.forEachUser { user in
            let f = try makeFixture(user)
            defer { finish(f) }
            let empty = f.df()
            for type in ["Images", "Containers", "Local Volumes", "Build Cache"] {
                XCTAssertEqual(empty[type], ["0", "0", "0B", "0B"], type)
            }

            _ = f.importImage("bb.tar", "busybox:used")
            _ = f.importImage("a.tar", "data:1")
            let busyboxSize = f.layerSizes().values.first { $0 != 200_000 }!
            XCTAssertEqual(f.layerSizes().count, 2)
            XCTAssertStatus(f.hutch(["run", "--name", "stopped", "busybox:used", "sh", "-c", "head -c 50000 /dev/zero > /written"]), 0)
            XCTAssertStatus(f.hutch(["run", "-d", "--name", "runner", "busybox:used", "sleep", "319"]), 0)
            buildWithCacheOnlyLayer(f)
            let entries = f.cacheEntries()
            XCTAssertFalse(entries.isEmpty, "the build recorded its steps")

            let rows = f.df()
            // Images: busybox, data:1, built:1 (busybox's layer and a COPY layer); busybox is in use.
            let images = f.layerSizes().filter { !Self.isCacheLayer($0.value) }
            let imageBytes = images.values.reduce(0, +)
            let reclaimable = imageBytes - busyboxSize
            XCTAssertEqual(rows["Images"], ["3", "1", Self.size(imageBytes),
                                            "\(Self.size(reclaimable)) (\(reclaimable * 100 / imageBytes)%)"], "\(rows)")
            // The stopped container wrote 50000 bytes; the running one nothing.
            XCTAssertEqual(rows["Containers"], ["2", "1", "50kB", "50kB (100%)"], "\(rows)")
            XCTAssertEqual(rows["Local Volumes"], ["0", "0", "0B", "0B"])
            XCTAssertEqual(rows["Build Cache"], ["\(entries.count)", "0", "70kB", "70kB"], "\(rows)")
        }
    }

    func testSystemPruneRemovesStoppedContainersDanglingImagesAndBuildCache() throws {
        try Harness.forEachUser { user in
            let f = try makeFixture(user)
            defer { finish(f) }
            let dangling = f.importImage("a.tar", "scratch:a")
            let unused = f.importImage("b.tar", "scratch:a")
            let used = f.importImage("bb.tar", "busybox:used")
            XCTAssertStatus(f.hutch(["run", "--name", "stopped", "busybox:used", "sh", "-c", "head -c 10000 /dev/zero > /written"]), 0)
            let stoppedID = f.hutch(["container", "inspect", "-f", "{{.Id}}", "stopped"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertEqual(stoppedID.count, 64)
            XCTAssertStatus(f.hutch(["run", "-d", "--name", "runner", "busybox:used", "sleep", "319"]), 0)
            buildWithCacheOnlyLayer(f)
            let built = f.hutch(["images", "-q", "--no-trunc", "built:1"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let entries = f.cacheEntries()
            let cacheLayer = f.layerSizes().first { Self.isCacheLayer($0.value) }?.key
            XCTAssertNotNil(cacheLayer, "the first stage's layer is stored")
            let aLayer = f.layerSizes().first { $0.value == 200_000 }!.key

            let warning = """
                WARNING! This will remove:
                  - all stopped containers
                  - all dangling images
                  - unused build cache

                Are you sure you want to continue? [y/N] 
                """
            let declined = f.hutch(["system", "prune"], stdin: "N\n")
            XCTAssertStatus(declined, 0)
            XCTAssertEqual(declined.stdout, warning)
            XCTAssertEqual(f.imageIDs(), [dangling, unused, used, built])
            XCTAssertEqual(f.cacheEntries(), entries)

            let pruned = f.hutch(["system", "prune"], stdin: "y\n")
            XCTAssertStatus(pruned, 0)
            let out = pruned.stdout
            XCTAssertTrue(out.hasPrefix(warning + "Deleted Containers:\n\(stoppedID)\n\nDeleted Images:\ndeleted: \(dangling)\ndeleted: \(aLayer)\n\nDeleted build cache objects:\n"), out)
            // 10000 (the container's writes) + 200000 (the dangling image) + 70003 (the cache's layer).
            XCTAssertTrue(out.hasSuffix("\n\nTotal reclaimed space: 280kB\n"), out)
            let removedKeys = out.components(separatedBy: "Deleted build cache objects:\n").last!
                .components(separatedBy: "\n\n").first!.split(separator: "\n").map(String.init)
            XCTAssertFalse(removedKeys.isEmpty)
            XCTAssertEqual(Set(f.cacheEntries()), Set(entries).subtracting(removedKeys), out)
            XCTAssertFalse(f.layerSizes().keys.contains(cacheLayer ?? ""), "the layer only the cache kept is gone")
            XCTAssertEqual(f.hutch(["ps", "-aq"]).stdout.split(separator: "\n").count, 1, "the running container stays")
            XCTAssertEqual(f.imageIDs(), [unused, used, built])
            // What is left of the cache is what built:1 is made of: a rebuild uses it.
            let rebuilt = f.hutch(["build", "-q", "-t", "built:1", f.work + "/ctx"])
            XCTAssertEqual(rebuilt.stdout.trimmingCharacters(in: .whitespacesAndNewlines), built, rebuilt.output)

            // -a -f: no question; every image no container uses and all build cache.
            let all = f.hutch(["system", "prune", "-a", "-f"])
            XCTAssertStatus(all, 0)
            XCTAssertFalse(all.stdout.contains("WARNING"), all.stdout)
            XCTAssertTrue(all.stdout.hasPrefix("Deleted Images:\n"), all.stdout)
            for line in ["untagged: scratch:a\n", "deleted: \(unused)\n", "untagged: built:1\n", "deleted: \(built)\n"] {
                XCTAssertTrue(all.stdout.contains(line), "\(line) in \(all.stdout)")
            }
            XCTAssertFalse(all.stdout.contains("busybox"), all.stdout)
            XCTAssertEqual(f.imageIDs(), [used])
            XCTAssertEqual(f.cacheEntries(), [])
            XCTAssertEqual(f.layerSizes().count, 1, "only busybox's layer is left")
            let df = f.df()
            XCTAssertEqual(df["Build Cache"], ["0", "0", "0B", "0B"])
            XCTAssertEqual(df["Images"]?.prefix(2), ["1", "1"])
        }
    }

    /// The first stage's layer: 70000 + 3 bytes (and nothing else a RUN may leave).
    static func isCacheLayer(_ size: Int64) -> Bool { (70_000..<70_100).contains(size) }

    /// go-units HumanSize as hutch prints it (3 significant digits, decimal units).
    static func size(_ bytes: Int64) -> String {
        var value = Double(bytes)
        let units = ["B", "kB", "MB", "GB"]
        var i = 0
        while value >= 1000 && i < units.count - 1 { value /= 1000; i += 1 }
        return String(format: "%.3g", value) + units[i]
    }
}
