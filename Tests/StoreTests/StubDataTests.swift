import XCTest
import OCI
import CArchive
@testable import Store

/// hutch-unionfs's metadata-only copies ("stubs") in an upper: commit and
/// adoption take the data from the store layer the xattr names.
final class StubDataTests: XCTestCase {
    var dir = ""
    var store: Store!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "hutch-stub-test-\(UUID().uuidString.prefix(8))"
        store = try Store(location: StoreLocation(root: dir + "/root", source: "test"))
    }

    override func tearDown() { try? removeTree(dir) }

    let content = String(repeating: "data of the lower file\n", count: 5000)

    /// A lower layer holding data/big, and an upper where data/big is a stub
    /// of it (as after `chmod` through hutch-unionfs) with a second name.
    func makeUpper(source: String? = nil, mode: mode_t = 0o600) throws -> (upper: String, lower: String) {
        let tar = dir + "/lower.tar"
        writeTar([TarEntry("data/", .dir), TarEntry("data/big", .file(content))], to: tar, compression: .gzip)
        let lower = store.layers.path(for: try store.layers.unpack(blobAt: tar, ownership: .xattr).diffID)
        let upper = store.root + "/upper"
        try FileManager.default.createDirectory(atPath: upper + "/data", withIntermediateDirectories: true)
        let fd = open(upper + "/data/big", O_CREAT | O_WRONLY, 0o600)
        XCTAssertEqual(ftruncate(fd, off_t(content.utf8.count)), 0)
        let value = source ?? lower + "/data/big"
        XCTAssertEqual(fsetxattr(fd, StubData.xattrName, value, value.utf8.count, 0), 0)
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        futimens(fd, &times)
        close(fd)
        XCTAssertEqual(link(upper + "/data/big", upper + "/data/big-link"), 0)
        chmod(upper + "/data/big", mode)
        return (upper, lower)
    }

    func read(_ path: String) -> String? {
        (try? Data(contentsOf: URL(fileURLWithPath: path))).map { String(decoding: $0, as: UTF8.self) }
    }

    func testCommitTakesAStubsDataFromTheLayerItNames() throws {
        let (upper, _) = try makeUpper()
        let c = try store.commitLayer(upper: upper)
        let other = try Store(location: StoreLocation(root: dir + "/other", source: "test"))
        let r = try other.layers.unpack(blobAt: store.blobs.path(for: c.digest), ownership: .xattr)
        let root = other.layers.path(for: r.diffID)
        XCTAssertEqual(read(root + "/data/big"), content)
        XCTAssertEqual(read(root + "/data/big-link"), content)
        XCTAssertNil(StubData.source(root + "/data/big"), "the bookkeeping xattr must not reach the layer")
        XCTAssertEqual(c.contentSize, Int64(content.utf8.count))
    }

    func testAdoptFillsInAStubKeepingModeTimesAndLinks() throws {
        for mode: mode_t in [0o600, 0o444] {
            try? removeTree(store.root + "/upper")
            let (upper, _) = try makeUpper(mode: mode)
            let c = try store.commitLayer(upper: upper)
            let record = try store.layers.adopt(upper: upper, committed: c)
            let root = store.layers.path(for: record.diffID)
            XCTAssertEqual(read(root + "/data/big"), content, "mode \(String(mode, radix: 8))")
            XCTAssertNil(StubData.source(root + "/data/big"))
            var st = stat(), st2 = stat()
            XCTAssertEqual(lstat(root + "/data/big", &st), 0)
            XCTAssertEqual(lstat(root + "/data/big-link", &st2), 0)
            XCTAssertEqual(st.st_mode & 0o7777, mode)
            XCTAssertEqual(st.st_mtim.tv_sec, 1_000_000)
            XCTAssertEqual(st.st_ino, st2.st_ino, "hard links stay linked")
            try store.layers.delete(record.diffID)
        }
    }

    func testAStubNamingDataOutsideTheStoreIsRefused() throws {
        let outside = dir + "/secret"
        FileManager.default.createFile(atPath: outside, contents: Data("secret".utf8))
        for source in [outside, "/nonexistent/file", "relative/path", ""] {
            try? removeTree(store.root + "/upper")
            let (upper, lower) = try makeUpper(source: source.isEmpty ? nil : source)
            if source.isEmpty { try FileManager.default.removeItem(atPath: lower + "/data/big") }
            XCTAssertThrowsError(try store.commitLayer(upper: upper), source) { e in
                XCTAssertTrue("\(e)".contains("metadata-only copy") || "\(e)".contains("outside the store"), "\(e)")
            }
            XCTAssertEqual(store.blobs.all(), [], "no blob from a refused commit")
        }
    }

    func testAdoptOfAStubWhoseDataIsGoneGivesTheUpperBack() throws {
        let (upper, lower) = try makeUpper()
        let c = try store.commitLayer(upper: upper)
        try FileManager.default.removeItem(atPath: lower + "/data/big")
        XCTAssertThrowsError(try store.layers.adopt(upper: upper, committed: c)) { e in
            XCTAssertTrue("\(e)".contains("is gone"), "\(e)")
        }
        XCTAssertNotNil(StubData.source(upper + "/data/big"))
        XCTAssertFalse(store.layers.contains(c.diffID))
    }
}
