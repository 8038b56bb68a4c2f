import XCTest
import OCI
@testable import Store

/// Where the store goes when the default folder cannot hold it, and the
/// removal of what a killed load or a removed image's last container left.
final class StoreLocationTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "hutch-location-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? removeTree(dir) }

    func testFilesystemDecision() {
        let ok = StoreFilesystem.Probe(userXattrs: true, flock: true)
        let cases: [(UInt, StoreFilesystem.Probe?, String?)] = [
            (0xEF53, ok, nil),                        // ext4
            (0xEF53, nil, nil),                       // not probed: the type alone decides
            (0x0102_1994, ok, nil),                   // tmpfs
            (0x6969, ok, "nfs"),                      // NFS, whatever a probe says
            (0x6969, nil, "nfs"),
            (0xFF53_4D42, ok, "cifs"),
            (0xFE53_4D42, nil, "smb2"),
            (0x517B, nil, "smb"),
            (0x8584_58F6, StoreFilesystem.Probe(userXattrs: false, flock: true), "ramfs) lacks user extended attributes,"),
            (0x6573_5546, StoreFilesystem.Probe(userXattrs: true, flock: false), "fuse) lacks file locks"),
            (0x1234, StoreFilesystem.Probe(userXattrs: false, flock: false), "type 0x1234) lacks user extended attributes and file locks"),
            (0, ok, nil),
            (UInt.max, ok, nil),
        ]
        for (type, probe, expected) in cases {
            let problem = StoreFilesystem.problem(fsType: type, probe: probe)
            if let expected {
                XCTAssertTrue(problem?.contains(expected) ?? false, "0x\(String(type, radix: 16)): \(problem ?? "nil")")
            } else {
                XCTAssertNil(problem, "0x\(String(type, radix: 16))")
            }
        }
    }

    func testProbeOfALocalFolderPassesAndLeavesNothing() throws {
        XCTAssertNil(StoreFilesystem.problem(at: dir + "/not/yet/made", probe: true))
        XCTAssertEqual(StoreFilesystem.probe(dir), StoreFilesystem.Probe(userXattrs: true, flock: true))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
        XCTAssertNotNil(StoreFilesystem.type(of: dir + "/a/b/c"))
    }

    func testChooseKeepsASuitableRootAndSaysNothing() throws {
        var notices: [String] = []
        let root = dir + "/explicit"
        let chosen = try StoreLocation.choose(rootOverride: root, environment: [:]) { notices.append($0) }
        XCTAssertEqual(chosen, StoreLocation(root: root, source: "--root"))
        XCTAssertTrue(chosen.isExplicit)
        let byDefault = try StoreLocation.choose(rootOverride: nil, environment: ["HOME": dir]) { notices.append($0) }
        XCTAssertEqual(byDefault.root, dir + "/.local/share/hutch")
        XCTAssertFalse(byDefault.isExplicit)
        XCTAssertNil(byDefault.fallbackReason)
        XCTAssertEqual(notices, [])
    }

    func testPrivateFolderIsMadeOrRefused() throws {
        let mine = dir + "/mine"
        XCTAssertTrue(try StoreLocation.makePrivateFolder(mine))
        XCTAssertFalse(try StoreLocation.makePrivateFolder(mine))
        var st = stat()
        XCTAssertEqual(stat(mine, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o700)
        // Writable by others, a symlink, a file: someone else's trap in /var/tmp.
        let open = dir + "/open"
        mkdir(open, 0o700); chmod(open, 0o777)
        XCTAssertThrowsError(try StoreLocation.makePrivateFolder(open)) { XCTAssertTrue("\($0)".contains("mode 777"), "\($0)") }
        symlink(mine, dir + "/link")
        XCTAssertThrowsError(try StoreLocation.makePrivateFolder(dir + "/link"))
        FileManager.default.createFile(atPath: dir + "/file", contents: nil)
        XCTAssertThrowsError(try StoreLocation.makePrivateFolder(dir + "/file"))
        XCTAssertThrowsError(try StoreLocation.makePrivateFolder(dir + "/missing/parent"))
    }

    func testJournalLinesParse() {
        let hex = String(repeating: "ab", count: 32)
        let cases: [(String, Int, Int)] = [
            ("blob \(hex)\nlayer \(hex)\n", 1, 1),
            ("blob \(hex)\nblob \(hex)\n", 1, 0),
            ("blob \(hex.prefix(40))", 0, 0),          // torn by a kill mid-write
            ("layer ../../etc\nblob \(hex) extra\n", 0, 0),
            ("unknown \(hex)\n\n\n", 0, 0),
            ("", 0, 0),
            ("\u{0}\u{ff}garbage", 0, 0),
        ]
        for (text, blobs, layers) in cases {
            let parsed = AdditionJournal.parse(Data(text.utf8))
            XCTAssertEqual(parsed.blobs.count, blobs, text)
            XCTAssertEqual(parsed.layers.count, layers, text)
        }
    }

    func testAbandonedJournalGivesItsSpaceBack() throws {
        let store = try Store(location: StoreLocation(root: dir + "/root", source: "test"))
        let orphan = try store.blobs.put(Data("left by a killed load".utf8))
        let kept = try importImage(store, tag: "kept")
        let keptBlobs = Set(store.blobs.all())
        // A journal still held (a live load) is left alone; once its writer is gone, what it lists goes.
        let journal = try AdditionJournal(directory: store.journalDirectory)
        try journal.addingBlob(orphan)
        try journal.addingBlob(kept)   // now named by an image: stays
        _ = try Store(location: store.location)
        XCTAssertTrue(store.blobs.contains(orphan))
        let held = journal.path
        try FileManager.default.copyItem(atPath: held, toPath: held + "-copy")
        journal.finish()
        _ = try Store(location: store.location)
        XCTAssertFalse(store.blobs.contains(orphan))
        XCTAssertEqual(Set(store.blobs.all()), keptBlobs.subtracting([orphan]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.journalDirectory), [])
    }

    func testLayersKeptForStoppedContainersGoWithTheLast() throws {
        let store = try Store(location: StoreLocation(root: dir + "/root", source: "test"))
        let id = try importImage(store, tag: "app")
        let layer = try store.config(of: id).rootfs.diffIDs[0]
        let containers = (1...2).map { n in
            ContainerRecord(id: String(repeating: "\(n)", count: 64), name: "c\(n)", imageID: id, imageName: "app", state: .exited)
        }
        for c in containers { try store.containers.save(c) }
        let lines = try store.removeImage("app", force: true)
        XCTAssertEqual(lines, ["Untagged: app:latest", "Deleted: " + id.description])
        XCTAssertTrue(store.layers.contains(layer), "a stopped container still runs on it")
        try store.containers.remove(containers[0].id)
        XCTAssertEqual(try store.releaseImage(id), [])
        XCTAssertTrue(store.layers.contains(layer))
        try store.containers.remove(containers[1].id)
        try Store.releaseImage(id, storeRoot: store.root)
        XCTAssertFalse(store.layers.contains(layer))
        XCTAssertEqual(store.layers.all(), [])
        XCTAssertEqual(store.blobs.all(), [])
    }

    func testReleaseKeepsLayersAnotherImageUses() throws {
        let store = try Store(location: StoreLocation(root: dir + "/root", source: "test"))
        let id = try importImage(store, tag: "one")
        try store.tag("one", as: "two")
        let c = ContainerRecord(id: String(repeating: "c", count: 64), name: "c", imageID: id, imageName: "one", state: .exited)
        try store.containers.save(c)
        XCTAssertEqual(try store.removeImage("one"), ["Untagged: one:latest"])   // "two" remains
        try store.containers.remove(c.id)
        XCTAssertEqual(try store.releaseImage(id), [])
        XCTAssertEqual(store.layers.all().count, 1)
        XCTAssertEqual(try store.listImages().count, 1)
    }

    @discardableResult
    func importImage(_ store: Store, tag: String) throws -> Digest {
        let tar = dir + "/rootfs-\(tag).tar"
        writeTar([TarEntry("bin/", .dir), TarEntry("bin/sh", .file("#! \(tag)"))], to: tar)
        let fd = open(tar, O_RDONLY)
        defer { close(fd) }
        return try store.importImage(from: fd, source: tar, tag: try Reference(parsing: tag))
    }
}
