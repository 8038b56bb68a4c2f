import XCTest
import OCI
@testable import Store

final class ImageArchiveTests: XCTestCase {
    var dir = ""
    var store: Store!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "hutch-archive-test-\(UUID().uuidString.prefix(8))"
        store = try Store(location: StoreLocation(root: dir + "/root", source: "test"))
    }

    override func tearDown() { try? removeTree(dir) }

    func importImage(_ entries: [TarEntry], tag: String, into s: Store? = nil) throws -> Digest {
        let tar = dir + "/rootfs-\(UUID().uuidString.prefix(6)).tar.gz"
        writeTar(entries, to: tar)
        let fd = open(tar, O_RDONLY)
        defer { close(fd) }
        return try (s ?? store).importImage(from: fd, source: tar, changes: ["CMD [\"sh\"]"], tag: try Reference(parsing: tag))
    }

    func save(_ names: [String], _ format: ImageArchiveFormat, from s: Store? = nil) throws -> String {
        let path = dir + "/saved-\(UUID().uuidString.prefix(6)).tar"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(fd) }
        try (s ?? store).saveImages(names, format: format, to: fd)
        return path
    }

    func load(_ path: String, into s: Store) throws -> [String] {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        return try s.loadImages(from: fd)
    }

    func freshStore(_ name: String) throws -> Store {
        try Store(location: StoreLocation(root: dir + "/" + name, source: "test"))
    }

    func testRoundTripBothFormatsKeepsIDsTagsAndFiles() throws {
        let base = [TarEntry("bin/", .dir), TarEntry("bin/sh", .file("#!shell"), mode: 0o755)]
        let a = try importImage(base + [TarEntry("etc/a", .file("a"))], tag: "app:one")
        let b = try importImage(base + [TarEntry("etc/b", .file("b"), uid: 7, gid: 7)], tag: "localhost:5000/team/app:two")
        for format in ImageArchiveFormat.allCases {
            let path = try save(["app:one", "localhost:5000/team/app:two"], format)
            let listing = try listTar(path).map { String($0.split(separator: " ")[0]) }
            switch format {
            case .docker: XCTAssertTrue(listing.contains("manifest.json") && listing.contains("repositories"), "\(listing)")
            case .oci: XCTAssertTrue(listing.contains("index.json") && listing.contains("oci-layout"), "\(listing)")
            }
            let other = try freshStore("other-\(format.rawValue)")
            let lines = try load(path, into: other)
            XCTAssertEqual(lines, ["Loaded image: app:one", "Loaded image: localhost:5000/team/app:two"], "\(format)")
            XCTAssertEqual(try other.resolveImage("app:one").id, a)
            XCTAssertEqual(try other.resolveImage("localhost:5000/team/app:two").id, b)
            let layer = try other.config(of: b).rootfs.diffIDs[0]
            var st = stat()
            lstat(other.layers.path(for: layer) + "/etc/b", &st)
            XCTAssertEqual(Whiteouts.overrideStat(path: other.layers.path(for: layer) + "/etc/b")?.uid ?? st.st_uid, 7)
            // Nothing the images do not need is left behind.
            let needed = try Set(other.listImages().flatMap { img -> [Digest] in
                let m = try other.manifest(of: img.record)
                return [img.id, img.record.manifestDigest] + m.layers.map(\.digest)
            })
            XCTAssertEqual(Set(other.blobs.all()), needed, "\(format)")
            // Loading again changes nothing and says the same.
            XCTAssertEqual(try load(path, into: other), lines)
            XCTAssertEqual(try other.listImages().count, 2)
        }
    }

    func testCompressedArchiveAndImageSavedByIDHasNoTag() throws {
        let id = try importImage([TarEntry("x", .file("x"))], tag: "x:1")
        let path = try save([String(id.hex.prefix(12))], .docker)
        let gz = path + ".gz"
        let a = archive_write_new()!
        archive_write_set_format_raw(a)
        archive_write_add_filter_gzip(a)
        archive_write_open_filename(a, gz)
        let e = archive_entry_new()!
        archive_entry_set_filetype(e, 0o100000)
        archive_write_header(a, e)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        _ = data.withUnsafeBytes { archive_write_data(a, $0.baseAddress, $0.count) }
        archive_write_close(a)
        archive_write_free(a)
        archive_entry_free(e)
        let other = try freshStore("gz")
        XCTAssertEqual(try load(gz, into: other), ["Loaded image ID: " + id.description])
        XCTAssertEqual(try other.listImages().map(\.id), [id])
        XCTAssertEqual(try other.listImages().first?.tags, [])
    }

    /// Archives that are broken or lie: each is refused with a clear
    /// message and leaves the store as it was.
    func testHostileAndTruncatedArchivesLeaveNothing() throws {
        let id = try importImage([TarEntry("f\(0)", .file(String(repeating: "y", count: 300_000)))], tag: "big:1")
        let good = try save(["big:1"], .docker)
        let goodData = try Data(contentsOf: URL(fileURLWithPath: good))
        let config = try store.blobs.read(id)
        let configName = id.hex + ".json"
        let diffID = try store.config(of: id).rootfs.diffIDs[0]
        func manifest(_ layers: [String], config name: String = configName) -> TarEntry {
            TarEntry("manifest.json", .file(#"[{"Config":"\#(name)","RepoTags":["evil:1"],"Layers":[\#(layers.map { "\"\($0)\"" }.joined(separator: ","))]}]"#))
        }
        let wrongLayer = dir + "/wrong.tar"
        writeTar([TarEntry("other", .file("other"))], to: wrongLayer, compression: .none)
        let wrongBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: wrongLayer)))
        let cases: [(String, [TarEntry], String)] = [
            ("no manifest", [TarEntry("hello", .file("x"))], "neither manifest.json"),
            ("manifest not JSON", [TarEntry("manifest.json", .file("{{"))], "not a docker-archive manifest"),
            ("missing layer", [TarEntry(configName, .bytes([UInt8](config))), manifest(["nope/layer.tar"])], "missing from the archive"),
            ("layer of another diffID", [TarEntry(configName, .bytes([UInt8](config))), TarEntry("l.tar", .bytes(wrongBytes)),
                                         manifest(["l.tar"])], "does not match its digest"),
            ("fewer layers than the config", [TarEntry(configName, .bytes([UInt8](config))), manifest([])], "its config lists 1"),
            ("dotdot path", [TarEntry("../../x", .file("x"))], "leads outside the archive"),
            ("symlink out", [TarEntry("manifest.json", .symlink("/etc/passwd"))], "neither manifest.json"),
            ("symlink up and out", [TarEntry("a/manifest.json", .symlink("../../manifest.json"))], "leads outside the archive"),
            ("symlink loop", [TarEntry("manifest.json", .symlink("manifest.json"))], "neither manifest.json"),
            ("device", [TarEntry("dev", .char(1, 3))], "device or fifo"),
            ("OCI blob with the wrong bytes", [TarEntry("oci-layout", .file("{}")),
                                                TarEntry("blobs/sha256/" + diffID.hex, .file("not it")),
                                                TarEntry("index.json", .file(#"{"schemaVersion":2,"manifests":[]}"#))],
             "does not hold the blob its name says"),
            ("OCI index naming a missing manifest", [TarEntry("index.json", .file(
                #"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\#(String(repeating: "a", count: 64))","size":3}]}"#))],
             "missing from the archive"),
        ]
        let victim = try freshStore("victim")
        let before = snapshot(victim.root, times: false)
        for (name, entries, message) in cases {
            let path = dir + "/hostile.tar"
            writeTar(entries, to: path, compression: .none)
            XCTAssertThrowsError(try load(path, into: victim), name) { e in
                XCTAssertTrue("\(e)".contains(message), "\(name): \(e)")
            }
            XCTAssertEqual(snapshot(victim.root, times: false), before, name)
        }
        for cut in [goodData.count / 3, goodData.count / 2, goodData.count - 1100] {
            let path = dir + "/cut.tar"
            try goodData.prefix(cut).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try load(path, into: victim), "cut at \(cut)") { e in
                XCTAssertTrue("\(e)".contains("cannot load image archive"), "\(cut): \(e)")
            }
            XCTAssertEqual(snapshot(victim.root, times: false), before, "cut at \(cut)")
        }
        let garbage = dir + "/garbage"
        try Data((0..<9000).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: garbage))
        XCTAssertThrowsError(try load(garbage, into: victim))
        XCTAssertEqual(snapshot(victim.root, times: false), before)
    }

    func testSaveOfAnUnknownImageWritesNothing() throws {
        XCTAssertThrowsError(try save(["nope:1"], .docker)) { e in
            XCTAssertEqual("\(e)", "No such image: nope:1")
        }
    }
}

import CArchive
