import XCTest
import Glibc
import CFuse3
@testable import UnionFS

/// Metadata-only copy-up without a mount: where a stub's recorded data
/// source is looked for, and which files may become stubs. (The mounted
/// behaviour is checked against the kernel overlay by
/// Tests/harness/unionfs-difftest.py.)
final class MetaCopyTests: XCTestCase {
    var dir = ""
    var fs: UnionFileSystem!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "hutch-metacopy-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        for d in ["", "/u", "/w", "/l1", "/l2", "/l1x"] { XCTAssertEqual(mkdir(dir + d, 0o755), 0, dir + d) }
        var o = UnionOptions()
        try o.parse("lowerdir=\(dir)/l1:\(dir)/l2,upperdir=\(dir)/u,workdir=\(dir)/w")
        fs = try UnionFileSystem(options: o)
    }

    override func tearDown() {
        fs = nil
        _ = Glibc.system("rm -rf '\(dir)'")
    }

    func testDataSourceIsFoundOnlyInsideTheLowerLayers() {
        let l1 = fs.layers[1].path, l2 = fs.layers[2].path, upper = fs.layers[0].path
        let cases: [(String, DataRef)] = [
            (l1 + "/etc/passwd", DataRef(layer: 1, path: "etc/passwd")),
            (l2 + "/a/b/c", DataRef(layer: 2, path: "a/b/c")),
            (l2 + "/file with spaces é", DataRef(layer: 2, path: "file with spaces é")),
            // hostile or broken values are never opened
            (l1 + "x/file", DataRef(layer: -1, path: l1 + "x/file")),          // a sibling sharing the prefix
            (l1 + "/../l2/a", DataRef(layer: -1, path: l1 + "/../l2/a")),      // climbing out
            (l1 + "/a/../../secret", DataRef(layer: -1, path: l1 + "/a/../../secret")),
            (l1 + "/", DataRef(layer: -1, path: l1 + "/")),
            (l1, DataRef(layer: -1, path: l1)),
            (upper + "/etc/passwd", DataRef(layer: -1, path: upper + "/etc/passwd")),  // the upper is not a data source
            ("/etc/shadow", DataRef(layer: -1, path: "/etc/shadow")),
            ("etc/passwd", DataRef(layer: -1, path: "etc/passwd")),
            ("", DataRef(layer: -1, path: "")),
        ]
        for (value, want) in cases {
            XCTAssertEqual(fs.locateDataSource(value), want, value)
        }
    }

    func testOnlyOwnReadableNonEmptyRegularFilesBecomeStubs() {
        func st(_ mode: mode_t, size: off_t = 10, uid: uid_t? = nil) -> stat {
            var s = stat()
            s.st_mode = mode
            s.st_size = size
            s.st_uid = uid ?? fs.ownUID
            return s
        }
        XCTAssertTrue(fs.canCopyMetadataOnly(st(S_IFREG | 0o644)))
        XCTAssertTrue(fs.canCopyMetadataOnly(st(S_IFREG | 0o400)))
        XCTAssertFalse(fs.canCopyMetadataOnly(st(S_IFREG | 0o644, size: 0)), "nothing to leave below")
        XCTAssertFalse(fs.canCopyMetadataOnly(st(S_IFREG | 0o044)), "the store could not read it")
        XCTAssertFalse(fs.canCopyMetadataOnly(st(S_IFREG | 0o644, uid: fs.ownUID &+ 1)), "not ours on disk")
        XCTAssertFalse(fs.canCopyMetadataOnly(st(S_IFLNK | 0o777)))
        XCTAssertFalse(fs.canCopyMetadataOnly(st(S_IFDIR | 0o755)))
        XCTAssertFalse(fs.canCopyMetadataOnly(st(S_IFIFO | 0o644)))
    }

    func testReadDataSourceOfFilesWithAndWithoutIt() throws {
        let path = dir + "/u/f"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
        XCTAssertNil(readDataSource(path))
        let value = fs.layers[1].path + "/f"
        XCTAssertEqual(lsetxattr(path, DataSource.xattrName, value, value.utf8.count, 0), 0)
        XCTAssertEqual(readDataSource(path), value)
        XCTAssertNil(readDataSource(dir + "/u/missing"))
        XCTAssertEqual(readXattrFacts(path, wantOpaque: false).dataSource, value)
        XCTAssertNil(fs.currentDataSource(upperPath: "missing"))
        XCTAssertEqual(fs.currentDataSource(upperPath: "f"), DataRef(layer: 1, path: "f"))
    }
}
