import XCTest
import OCI
@testable import Store

final class LayerUnpackTests: XCTestCase {
    var dir = ""
    var store: Store!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "hutch-store-test-\(UUID().uuidString.prefix(8))"
        store = try Store(location: StoreLocation(root: dir + "/root", source: "test"))
    }

    override func tearDown() { try? removeTree(dir) }

    func unpack(_ entries: [TarEntry], compression: Compression = .gzip) throws -> LayerRecord {
        let tar = dir + "/layer-\(UUID().uuidString.prefix(6)).tar"
        writeTar(entries, to: tar, compression: compression)
        return try store.layers.unpack(blobAt: tar, ownership: .xattr, lock: store.lock)
    }

    func testWhiteoutsOpaqueLinksAndOwnership() throws {
        let r = try unpack([
            TarEntry("etc/", .dir),
            TarEntry("etc/passwd", .file("root:x:0:0\n")),
            TarEntry("etc/shadow", .file("secret"), mode: 0o640, uid: 0, gid: 42),
            TarEntry("etc/link", .hardlink("etc/passwd")),
            TarEntry("etc/sym", .symlink("/etc/passwd")),
            TarEntry("etc/.wh.gone", .file("")),
            TarEntry("var/", .dir),
            TarEntry("var/.wh..wh..opq", .file("")),
            TarEntry("usr/bin/su", .file("x"), mode: 0o4755, uid: 0, gid: 0),
            TarEntry("home/student/", .dir, uid: 1000, gid: 1000),
            TarEntry("dev/null", .char(1, 3), mode: 0o666),
        ], compression: .zstd)
        let root = store.layers.path(for: r.diffID)
        XCTAssertEqual(try String(contentsOfFile: root + "/etc/link", encoding: .utf8), "root:x:0:0\n")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/etc/sym"), "/etc/passwd")
        XCTAssertTrue(Whiteouts.isWhiteout(path: root + "/etc/gone"))
        XCTAssertEqual(Whiteouts.get(Whiteouts.opaqueXattr, path: root + "/etc"), "x")
        XCTAssertNotNil(Whiteouts.get(Whiteouts.parentWhiteoutsXattr, path: root + "/etc"))
        XCTAssertTrue(Whiteouts.isOpaque(path: root + "/var"))
        XCTAssertEqual(Whiteouts.overrideStat(path: root + "/etc/shadow"), .init(uid: 0, gid: 42, mode: 0o640))
        XCTAssertEqual(Whiteouts.overrideStat(path: root + "/home/student"), .init(uid: 1000, gid: 1000, mode: 0o755))
        XCTAssertEqual(Whiteouts.overrideStat(path: root + "/dev/null")?.type, "char-1-3")
        XCTAssertEqual(Whiteouts.overrideStat(path: root)?.uid, 0)
        var st = stat()
        stat(root + "/usr/bin/su", &st)
        XCTAssertEqual(st.st_mode & 0o7777, 0o4755)
        XCTAssertEqual(r.entries, 9)   // the two whiteout entries are markers, not files
        // Unpacking the same layer again shares it.
        XCTAssertEqual(store.layers.all(), [r.diffID])
    }

    func testDiffIDIsSHA256OfUncompressedTar() throws {
        let plain = dir + "/plain.tar"
        writeTar([TarEntry("a", .file("hello"))], to: plain, compression: .none)
        let expected = Digest.sha256(of: try Data(contentsOf: URL(fileURLWithPath: plain)))
        let r = try store.layers.unpack(blobAt: plain, expectedDiffID: expected, ownership: .xattr, lock: store.lock)
        XCTAssertEqual(r.diffID, expected)
        let wrong = try Digest(sha256Hex: String(repeating: "0", count: 64))
        XCTAssertThrowsError(try store.layers.unpack(blobAt: plain, expectedDiffID: wrong, ownership: .xattr, lock: store.lock))
    }

    func testHostileArchivesAreRefusedAndWriteNothingOutside() throws {
        let outside = dir + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let cases: [(String, [TarEntry])] = [
            ("dotdot", [TarEntry("../../outside/x", .file("pwned"))]),
            ("absolute", [TarEntry(outside + "/x", .file("pwned"))]),
            ("symlink escape", [TarEntry("a", .symlink(outside)), TarEntry("a/x", .file("pwned"))]),
            ("symlink escape relative", [TarEntry("a", .symlink("../../../outside")), TarEntry("a/x", .file("pwned"))]),
            ("hardlink escape", [TarEntry("x", .hardlink("../../outside/target"))]),
            ("hardlink through symlink", [TarEntry("a", .symlink(outside)), TarEntry("x", .hardlink("a/target"))]),
            ("whiteout through symlink", [TarEntry("a", .symlink(outside)), TarEntry("a/.wh.target", .file(""))]),
            ("opaque through symlink", [TarEntry("a", .symlink(outside)), TarEntry("a/.wh..wh..opq", .file(""))]),
        ]
        FileManager.default.createFile(atPath: outside + "/target", contents: Data("keep".utf8))
        for (name, entries) in cases {
            XCTAssertThrowsError(try unpack(entries), name) { error in
                XCTAssertTrue("\(error)".contains("refusing layer archive") || "\(error)".contains("symlink"), "\(name): \(error)")
            }
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outside), ["target"], name)
            XCTAssertEqual(try String(contentsOfFile: outside + "/target", encoding: .utf8), "keep", name)
            XCTAssertNil(Whiteouts.get(Whiteouts.opaqueXattr, path: outside), name)
        }
        XCTAssertEqual(store.layers.all(), [])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: store.layers.directory)
        XCTAssertEqual(leftovers, [])
    }

    func testTruncatedAndGarbageArchives() throws {
        let big = (0..<200).map { TarEntry("f\($0)", .file(String(repeating: "x", count: 5000) + "\($0)")) }
        for compression in [Compression.gzip, .zstd, .none] {
            let tar = dir + "/full.tar"
            writeTar(big, to: tar, compression: compression)
            let data = try Data(contentsOf: URL(fileURLWithPath: tar))
            let cut = dir + "/cut.tar"
            try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
            XCTAssertThrowsError(try store.layers.unpack(blobAt: cut, ownership: .xattr, lock: store.lock), "\(compression)") { e in
                XCTAssertTrue("\(e)".contains("cannot read layer archive"), "\(compression): \(e)")
            }
        }
        // An empty file and a lone gzip header: an error, not an abort.
        for (name, bytes) in [("empty", [UInt8]()), ("gzip-header", [0x1f, 0x8b, 0x08, 0x00])] {
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name))
            XCTAssertThrowsError(try store.layers.unpack(blobAt: dir + "/" + name, ownership: .xattr, lock: store.lock), name)
        }
        let garbage = dir + "/garbage"
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(to: URL(fileURLWithPath: garbage))
        XCTAssertThrowsError(try store.layers.unpack(blobAt: garbage, ownership: .xattr, lock: store.lock))
        XCTAssertEqual(store.layers.all(), [])
    }

    // Speed belongs to `make bench`, not to a timed test: this checks that a
    // layer of 5,000 files unpacks whole.
    func testUnpackOf5000Files() throws {
        var entries: [TarEntry] = (0..<50).map { TarEntry("d\($0)/", .dir) }
        for i in 0..<5000 { entries.append(TarEntry("d\(i % 50)/f\(i)", .file("content \(i)"))) }
        let tar = dir + "/many.tar.gz"
        writeTar(entries, to: tar)
        let r = try store.layers.unpack(blobAt: tar, ownership: .xattr, lock: store.lock)
        XCTAssertEqual(r.entries, 5050)
        let files = try FileManager.default.subpathsOfDirectory(atPath: store.layers.path(for: r.diffID))
        XCTAssertEqual(files.count, 5050)
    }
}
