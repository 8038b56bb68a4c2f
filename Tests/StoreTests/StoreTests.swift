import XCTest
import OCI
@testable import Store

final class StoreTests: XCTestCase {
    var dir = ""
    var store: Store!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "hutch-store-test-\(UUID().uuidString.prefix(8))"
        store = try Store(location: StoreLocation(root: dir + "/root", source: "test"))
    }

    override func tearDown() { try? removeTree(dir) }

    func testLocationOrder() {
        XCTAssertEqual(StoreLocation.resolve(rootOverride: "/a", environment: ["HUTCH_ROOT": "/b"]).root, "/a")
        XCTAssertEqual(StoreLocation.resolve(rootOverride: nil, environment: ["HUTCH_ROOT": "/b", "XDG_DATA_HOME": "/x"]).root, "/b")
        XCTAssertEqual(StoreLocation.resolve(rootOverride: nil, environment: ["XDG_DATA_HOME": "/x", "HOME": "/h"]).root, "/x/hutch")
        XCTAssertEqual(StoreLocation.resolve(rootOverride: nil, environment: ["HOME": "/h"]).root, "/h/.local/share/hutch")
    }

    func testAtomicWriteReplacesWhole() throws {
        let p = dir + "/f.json"
        try AtomicFile.write(Data("one".utf8), to: p)
        try AtomicFile.write(Data("two".utf8), to: p)
        XCTAssertEqual(try String(contentsOfFile: p, encoding: .utf8), "two")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".tmp") }, [])
    }

    func testBlobsAreVerified() throws {
        let d = try store.blobs.put(Data("hello".utf8))
        XCTAssertEqual(d, Digest.sha256(of: Array("hello".utf8)))
        XCTAssertEqual(try store.blobs.read(d), Data("hello".utf8))
        XCTAssertThrowsError(try store.blobs.put(Data("other".utf8), expected: d))
        XCTAssertEqual(store.blobs.all(), [d])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.blobs.tmp), [])
    }

    func testResumableWrite() throws {
        let content = Data((0..<100_000).map { UInt8($0 % 251) })
        let digest = Digest.sha256(of: content)
        var w = try store.blobs.beginWrite(expected: digest, expectedSize: Int64(content.count), resumable: true)
        try w.write(content.prefix(30_000))
        w.abortKeepingPartial()
        w = try store.blobs.beginWrite(expected: digest, expectedSize: Int64(content.count), resumable: true)
        XCTAssertEqual(w.offset, 30_000)
        try w.write(content.dropFirst(30_000))
        XCTAssertEqual(try w.commit(), digest)
        XCTAssertTrue(store.blobs.contains(digest))
    }

    func testRmiRefusesImageUsedByStoppedContainer() throws {
        let tar = dir + "/rootfs.tar"
        writeTar([TarEntry("bin/", .dir), TarEntry("bin/sh", .file("#!"))], to: tar)
        let fd = open(tar, O_RDONLY)
        let id = try store.importImage(from: fd, source: tar, changes: ["CMD [\"sh\"]", "ENV A=1", "WORKDIR /w"],
                                       tag: try Reference(parsing: "pythontest"))
        close(fd)
        let config = try store.config(of: id)
        XCTAssertEqual(config.config?.cmd, ["sh"])
        XCTAssertEqual(config.config?.workingDir, "/w")
        let container = ContainerRecord(id: String(repeating: "9e8f89239e52", count: 6).prefix(64).description,
                                        name: "eager_mclaren", imageID: id, imageName: "pythontest", state: .exited)
        try store.containers.save(container)
        XCTAssertThrowsError(try store.removeImage(id.shortHex)) { e in
            XCTAssertEqual("\(e)", "conflict: unable to delete \(id.shortHex) (must be forced) - image is being used by stopped container 9e8f89239e52")
        }
        try store.containers.remove(container.id)
        let lines = try store.removeImage(id.shortHex, force: true)
        XCTAssertEqual(lines.first, "Untagged: pythontest:latest")
        XCTAssertEqual(lines[1], "Deleted: " + id.description)
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(try store.listImages().count, 0)
        XCTAssertEqual(store.layers.all(), [])
        XCTAssertEqual(store.blobs.all(), [])
    }

    func testLeftoversOfAKilledUnpackAreCollected() throws {
        let staging = try store.layers.makeStaging()
        FileManager.default.createFile(atPath: staging.path + "/half", contents: Data("x".utf8))
        // Still held: a second open must not take it away.
        _ = try Store(location: store.location)
        XCTAssertTrue(FileManager.default.fileExists(atPath: staging.path))
        close(staging.fd)  // what the kernel does for a killed process
        _ = try Store(location: store.location)
        XCTAssertFalse(FileManager.default.fileExists(atPath: staging.path))
    }
}
