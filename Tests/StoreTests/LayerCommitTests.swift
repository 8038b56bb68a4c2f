import XCTest
import OCI
@testable import Store

final class LayerCommitTests: XCTestCase {
    var dir = ""
    var store: Store!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "hutch-commit-test-\(UUID().uuidString.prefix(8))"
        store = try Store(location: StoreLocation(root: dir + "/root", source: "test"))
    }

    override func tearDown() { try? removeTree(dir) }

    func unpack(_ entries: [TarEntry]) throws -> LayerRecord {
        let tar = dir + "/layer-\(UUID().uuidString.prefix(6)).tar"
        writeTar(entries, to: tar, compression: .gzip)
        return try store.layers.unpack(blobAt: tar, ownership: .xattr)
    }

    /// A layer with every kind of entry the store knows.
    var richLayer: [TarEntry] {
        var caps: [String: String] = ["user.mime_type": "text/plain"]
        if getuid() == 0 {
            // VFS_CAP_REVISION_2, effective, permitted CAP_NET_RAW (bit 13): 20 bytes.
            let cap: [UInt8] = [1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
            caps["security.capability"] = String(decoding: cap, as: UTF8.self)
        }
        return [
            TarEntry("etc/", .dir),
            TarEntry("etc/passwd", .file("root:x:0:0\n")),
            TarEntry("etc/shadow", .file("secret"), mode: 0o640, uid: 0, gid: 42),
            TarEntry("etc/link", .hardlink("etc/passwd")),
            TarEntry("etc/sym", .symlink("/etc/passwd")),
            TarEntry("etc/loop", .symlink("loop")),
            TarEntry("etc/.wh.gone", .file("")),
            TarEntry("var/", .dir, mode: 0o1777),
            TarEntry("var/.wh..wh..opq", .file("")),
            TarEntry("var/new", .file("n")),
            TarEntry("usr/", .dir),
            TarEntry("usr/bin/", .dir, mode: 0o555),
            TarEntry("usr/bin/su", .file("x"), mode: 0o4755, uid: 0, gid: 0),
            TarEntry("usr/bin/ping", .file("ping"), mode: 0o755, xattrs: caps),
            TarEntry("home/student/", .dir, uid: 1000, gid: 1000),
            TarEntry("home/student/notes é.txt", .file("héllo"), uid: 1000, gid: 1000),
            TarEntry("dev/", .dir),
            TarEntry("dev/null", .char(1, 3), mode: 0o666),
            TarEntry("run/fifo", .fifo, mode: 0o600),
        ]
    }

    func testUnpackCommitUnpackGivesTheSameTree() throws {
        let a = try unpack(richLayer)
        let first = try store.commitLayer(upper: store.layers.path(for: a.diffID))
        let other = try Store(location: StoreLocation(root: dir + "/other", source: "test"))
        let b = try other.layers.unpack(blobAt: store.blobs.path(for: first.digest), expectedDiffID: first.diffID,
                                         ownership: .xattr)
        XCTAssertEqual(snapshot(store.layers.path(for: a.diffID)), snapshot(other.layers.path(for: b.diffID)))
        XCTAssertEqual(first.entries, a.entries + 2)   // + home/ and run/, made for their files by the unpack
        XCTAssertEqual(first.contentSize, a.size)
        XCTAssertEqual(first.mediaType, MediaType.ociLayerGzip)
        XCTAssertEqual(store.blobs.size(of: first.digest), first.size)

        // The tar itself: markers, owners from override_stat, links, sorted, no bookkeeping xattrs.
        let list = try listTar(store.blobs.path(for: first.digest))
        XCTAssertEqual(list.map { $0.components(separatedBy: " 10000").first!.components(separatedBy: " 40000").first!
                                    .components(separatedBy: " 20000").first!.components(separatedBy: " 0 ").first!
                                    .components(separatedBy: " 120000").first! }, [
            "dev/", "dev/null", "etc/", "etc/.wh.gone", "etc/link", "etc/loop", "etc/passwd", "etc/shadow", "etc/sym",
            "home/", "home/student/", "home/student/notes é.txt", "run/", "run/fifo",
            "usr/", "usr/bin/", "usr/bin/ping", "usr/bin/su", "var/", "var/.wh..wh..opq", "var/new",
        ])
        XCTAssertTrue(list.contains("etc/shadow 100000 0:42:0640"), "\(list)")
        XCTAssertTrue(list.contains("etc/passwd 0 0:0:0644 hardlink->etc/link"), "\(list)")
        XCTAssertTrue(list.contains("usr/bin/su 100000 0:0:04755"), "\(list)")
        XCTAssertTrue(list.contains("dev/null 20000 0:0:0666 dev=1,3"), "\(list)")
        XCTAssertTrue(list.contains("home/student/ 40000 1000:1000:0755"), "\(list)")
        XCTAssertTrue(list.contains("var/ 40000 0:0:01777"), "\(list)")
        XCTAssertTrue(list.contains { $0.hasPrefix("usr/bin/ping ") && $0.contains("xattr:user.mime_type") })
        if getuid() == 0 {
            XCTAssertTrue(list.contains { $0.hasPrefix("usr/bin/ping ") && $0.contains("xattr:security.capability") }, "\(list)")
        }
        XCTAssertFalse(list.contains { $0.contains("xattr:user.overlay") || $0.contains("xattr:user.containers") })

        // Same tree, same bytes: again from the same folder, and from the copy.
        let again = try store.commitLayer(upper: store.layers.path(for: a.diffID))
        XCTAssertEqual(again, first)
        let fromCopy = try other.commitLayer(upper: other.layers.path(for: b.diffID))
        XCTAssertEqual(fromCopy.digest, first.digest)
        XCTAssertEqual(fromCopy.diffID, first.diffID)
    }

    func testDiffIDIsTheUncompressedTarsDigest() throws {
        let a = try unpack([TarEntry("a", .file("hello"))])
        let c = try store.commitLayer(upper: store.layers.path(for: a.diffID))
        let plain = dir + "/plain.tar"
        let r = archive_read_new()!
        archive_read_support_filter_gzip(r)
        archive_read_support_format_raw(r)
        archive_read_open_filename(r, store.blobs.path(for: c.digest), 65536)
        var entry: OpaquePointer?
        archive_read_next_header(r, &entry)
        var bytes = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = archive_read_data(r, &buffer, buffer.count)
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        archive_read_free(r)
        try bytes.write(to: URL(fileURLWithPath: plain))
        XCTAssertEqual(Digest.sha256(of: bytes), c.diffID)
        XCTAssertEqual(bytes.count % 512, 0)
        XCTAssertEqual(c.entries, 1)
    }

    /// Level 0 (a builder's local layers): the blob is the tar itself, so
    /// its digest is the diffID, and it gives the same tar as gzip does.
    func testUncompressedCommitIsTheTarItself() throws {
        let a = try unpack([TarEntry("a", .file("hello")), TarEntry("d/", .dir), TarEntry("d/.wh.x", .file(""))])
        let gzip = try store.commitLayer(upper: store.layers.path(for: a.diffID))
        let plain = try store.commitLayer(upper: store.layers.path(for: a.diffID), compressionLevel: 0)
        XCTAssertEqual(plain.digest, plain.diffID)
        XCTAssertEqual(plain.diffID, gzip.diffID)
        XCTAssertEqual(plain.mediaType, MediaType.ociLayer)
        XCTAssertEqual(gzip.mediaType, MediaType.ociLayerGzip)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: store.blobs.path(for: plain.digest)))
        XCTAssertEqual(Int64(bytes.count), plain.size)
        XCTAssertEqual(Digest.sha256(of: bytes), plain.digest)
        XCTAssertEqual(bytes.count % 512, 0)
    }

    /// An upper as kernel overlay leaves it: 0/0 device whiteouts, xattr
    /// whiteouts, trusted and user opaque markers, overlay bookkeeping,
    /// plus hostile things: a socket, a symlink loop, paths past PATH_MAX.
    func testKernelOverlayUpperAndHostileEntries() throws {
        try XCTSkipUnless(getuid() == 0, "needs root to mknod a 0/0 whiteout and set trusted.* xattrs")
        let upper = dir + "/upper"
        let fm = FileManager.default
        try fm.createDirectory(atPath: upper + "/a/opaque-user", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: upper + "/a/opaque-trusted", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: upper + "/a/not-opaque", withIntermediateDirectories: true)
        XCTAssertEqual(mknod(upper + "/a/deleted", S_IFCHR | 0o000, 0), 0)
        _ = fm.createFile(atPath: upper + "/a/xattr-deleted", contents: Data())
        setxattr(upper + "/a/xattr-deleted", "user.overlay.whiteout", "", 0, 0)
        setxattr(upper + "/a/opaque-user", "user.overlay.opaque", "y", 1, 0)
        setxattr(upper + "/a/opaque-trusted", "trusted.overlay.opaque", "y", 1, 0)
        setxattr(upper + "/a/not-opaque", "user.overlay.opaque", "x", 1, 0)
        setxattr(upper + "/a", "user.overlay.origin", "garbage", 7, 0)
        setxattr(upper + "/a", "trusted.overlay.impure", "y", 1, 0)
        _ = fm.createFile(atPath: upper + "/a/.wh.already-oci", contents: Data())
        symlink("loop", upper + "/a/loop")
        mkfifo(upper + "/a/fifo", 0o644)
        let sock = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let sockPath = upper + "/a/sock"
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in sockPath.utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(bound, 0, "bind \(sockPath)")
        close(sock)
        // 20 levels of 200-byte names: 4,000+ bytes, past PATH_MAX.
        var fd = open(upper, O_RDONLY | O_DIRECTORY)
        let long = String(repeating: "n", count: 200)
        for _ in 0..<20 {
            mkdirat(fd, long, 0o755)
            let next = openat(fd, long, O_RDONLY | O_DIRECTORY)
            close(fd)
            fd = next
        }
        let leaf = openat(fd, "deep.txt", O_WRONLY | O_CREAT, 0o644)
        _ = "deep".withCString { write(leaf, $0, 4) }
        close(leaf)
        close(fd)

        let c = try store.commitLayer(upper: upper, owners: .identity)
        XCTAssertEqual(c.skipped, ["a/sock"])
        let list = try listTar(store.blobs.path(for: c.digest))
        let names = list.map { String($0.split(separator: " ")[0]) }
        let deep = (0..<20).map { _ in long }.joined(separator: "/") + "/deep.txt"
        XCTAssertEqual(Set(names.filter { $0.hasPrefix("a/") }), [
            "a/",
            "a/.wh.already-oci", "a/.wh.deleted", "a/fifo", "a/loop", "a/not-opaque/",
            "a/opaque-trusted/", "a/opaque-trusted/.wh..wh..opq", "a/opaque-user/", "a/opaque-user/.wh..wh..opq",
            "a/.wh.xattr-deleted",
        ])
        XCTAssertTrue(names.contains(deep), "the long path is in the tar")
        XCTAssertFalse(list.contains { $0.contains("xattr:") }, "no overlay xattrs: \(list)")

        // Unpacked again, the markers become the store's whiteouts and opaque dirs.
        let r = try store.layers.unpack(blobAt: store.blobs.path(for: c.digest), expectedDiffID: c.diffID, ownership: .xattr)
        let root = store.layers.path(for: r.diffID)
        XCTAssertTrue(Whiteouts.isWhiteout(path: root + "/a/deleted"))
        XCTAssertTrue(Whiteouts.isWhiteout(path: root + "/a/xattr-deleted"))
        XCTAssertTrue(Whiteouts.isWhiteout(path: root + "/a/already-oci"))
        XCTAssertTrue(Whiteouts.isOpaque(path: root + "/a/opaque-user"))
        XCTAssertTrue(Whiteouts.isOpaque(path: root + "/a/opaque-trusted"))
        XCTAssertFalse(Whiteouts.isOpaque(path: root + "/a/not-opaque"))
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/a/loop"), "loop")
        var st = stat()
        XCTAssertEqual(lstat(root + "/a/fifo", &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFIFO)
        var deepFD = open(root, O_RDONLY | O_DIRECTORY)
        for _ in 0..<20 { let n = openat(deepFD, long, O_RDONLY | O_DIRECTORY); close(deepFD); deepFD = n }
        XCTAssertEqual(fstatat(deepFD, "deep.txt", &st, 0), 0, "the long path was unpacked")
        close(deepFD)
    }

    func testMissingOrUnreadableUpperIsAClearErrorAndLeavesNoBlob() throws {
        XCTAssertThrowsError(try store.commitLayer(upper: dir + "/nope")) { e in
            XCTAssertTrue("\(e)".contains("cannot open the layer folder"), "\(e)")
        }
        XCTAssertEqual(store.blobs.all(), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.blobs.directory + "/tmp"), [])
    }

    func testAdoptMovesTheUpperIntoTheStore() throws {
        let upper = store.root + "/upper"
        let fm = FileManager.default
        try fm.createDirectory(atPath: upper + "/etc", withIntermediateDirectories: true)
        _ = fm.createFile(atPath: upper + "/etc/hostname", contents: Data("box\n".utf8))
        setxattr(upper + "/etc", "user.overlay.origin", "garbage", 7, 0)
        setxattr(upper + "/etc", "user.overlay.impure", "y", 1, 0)
        var hasDeviceWhiteout = false
        if getuid() == 0 { hasDeviceWhiteout = mknod(upper + "/etc/motd", S_IFCHR, 0) == 0 }
        let c = try store.commitLayer(upper: upper)
        let record = try store.layers.adopt(upper: upper, committed: c)
        XCTAssertFalse(fm.fileExists(atPath: upper))
        XCTAssertEqual(record.diffID, c.diffID)
        XCTAssertEqual(record.entries, c.entries)
        XCTAssertTrue(store.layers.contains(c.diffID))
        let root = store.layers.path(for: c.diffID)
        XCTAssertNil(Whiteouts.get("user.overlay.origin", path: root + "/etc"))
        XCTAssertNil(Whiteouts.get("user.overlay.impure", path: root + "/etc"))
        if hasDeviceWhiteout { XCTAssertTrue(Whiteouts.isWhiteout(path: root + "/etc/motd")) }
        // The adopted folder is what unpacking the blob gives (times aside: the
        // whiteout conversion touched a folder).
        let other = try Store(location: StoreLocation(root: dir + "/other", source: "test"))
        let u = try other.layers.unpack(blobAt: store.blobs.path(for: c.digest), ownership: record.ownership == "chown" ? .chown : .xattr)
        XCTAssertEqual(snapshot(root, times: false), snapshot(other.layers.path(for: u.diffID), times: false))
        // Adopting a layer already there leaves the upper to the caller.
        try fm.createDirectory(atPath: upper, withIntermediateDirectories: true)
        XCTAssertEqual(try store.layers.adopt(upper: upper, committed: c).diffID, c.diffID)
        XCTAssertTrue(fm.fileExists(atPath: upper))
    }

    func testAdoptRefusesMetacopyAndGivesTheUpperBack() throws {
        let upper = store.root + "/upper"
        try FileManager.default.createDirectory(atPath: upper, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: upper + "/big", contents: Data())
        setxattr(upper + "/big", "user.overlay.metacopy", "", 0, 0)
        let c = try store.commitLayer(upper: upper)
        XCTAssertThrowsError(try store.layers.adopt(upper: upper, committed: c)) { e in
            XCTAssertTrue("\(e)".contains("unpack the committed blob instead"), "\(e)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: upper + "/big"))
        XCTAssertFalse(store.layers.contains(c.diffID))
    }

    func testCommitOf5000FilesIsQuick() throws {
        var entries: [TarEntry] = (0..<50).map { TarEntry("d\($0)/", .dir) }
        for i in 0..<5000 { entries.append(TarEntry("d\(i % 50)/f\(i)", .file("content \(i)"))) }
        let r = try unpack(entries)
        let start = Date()
        let c = try store.commitLayer(upper: store.layers.path(for: r.diffID), compressionLevel: 1)
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(c.entries, 5050)
        XCTAssertLessThan(elapsed, 5.0, "5,000 files took \(elapsed) s")
        print("committed 5,050 entries in \(elapsed) s")
    }

    func testOwnerMapping() {
        let m = OwnerMapping(uids: [.init(container: 0, host: 1000, count: 1), .init(container: 1, host: 100000, count: 65536)],
                             gids: [.init(container: 0, host: 1000, count: 1)])
        XCTAssertEqual(m.uid(1000), 0)
        XCTAssertEqual(m.uid(100000), 1)
        XCTAssertEqual(m.uid(165535), 65536)
        XCTAssertEqual(m.uid(165536), OwnerMapping.overflowID)
        XCTAssertEqual(m.gid(5), OwnerMapping.overflowID)
        XCTAssertEqual(OwnerMapping.identity.uid(4_000_000_000), 4_000_000_000)
    }
}

import CArchive
