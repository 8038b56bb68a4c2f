import Foundation
import XCTest
@testable import Seccomp
@testable import SeccompCache

/// The index that skips JSON parsing when no profile file changed: it must
/// hit for unchanged files and miss for every change that could alter the
/// filter, and reject any damaged entry.
final class FilterIndexTests: XCTestCase {
    private var root = ""
    private var cacheDir: String { root + "/cache" }

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "seccomp-index-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root + "/user", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/installed", withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    private let base = #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write","exit_group"],"action":"SCMP_ACT_ALLOW"}]}"#
    private let child = #"{"extends":"base","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ALLOW"}]}"#

    private var library: ProfileLibrary { ProfileLibrary(searchPaths: [root + "/user", root + "/installed"]) }
    private var searchPath: ProfileSearchPath { ProfileSearchPath([root + "/user", root + "/installed"]) }
    private var index: FilterIndex { FilterIndex(directory: cacheDir) }

    private func write(_ dir: String, _ name: String, _ text: String) throws {
        try text.write(toFile: root + "/" + dir + "/" + name + ".json", atomically: false, encoding: .utf8)
    }

    private func filter(_ reference: String) throws -> [UInt8]? {
        try seccompFilter(for: reference, target: amd64, library: library, cache: FilterCache(directory: cacheDir))?.bpf
    }

    private func hit(_ reference: String) -> [UInt8]? {
        index.lookup(reference: reference, searchPath: searchPath, target: amd64)
    }

    func testUnchangedFilesHitWithTheCompiledFilter() throws {
        try write("installed", "base", base)
        try write("installed", "child", child)
        XCTAssertNil(hit("child"), "nothing recorded yet")
        let compiled = try XCTUnwrap(try filter("child"))
        XCTAssertEqual(hit("child"), compiled)
        XCTAssertEqual(try filter("child"), compiled)
        // A file named by path is indexed too.
        let byPath = try XCTUnwrap(try filter(root + "/installed/child.json"))
        XCTAssertEqual(byPath, compiled)
        XCTAssertEqual(hit(root + "/installed/child.json"), compiled)
    }

    /// Each change below could change the filter: each must make the index miss.
    func testEveryChangeMisses() throws {
        let changes: [(String, () throws -> Void)] = [
            ("named file edited, same size", { try self.write("installed", "child", self.child.replacingOccurrences(of: "getpid", with: "getuid")) }),
            ("base edited", { try self.write("installed", "base", self.base.replacingOccurrences(of: "\"read\",", with: "")) }),
            ("base replaced by rename", {
                try self.base.write(toFile: self.root + "/new.json", atomically: false, encoding: .utf8)
                XCTAssertEqual(rename(self.root + "/new.json", self.root + "/installed/base.json"), 0)
            }),
            ("a user profile now shadows the named one", { try self.write("user", "child", self.child) }),
            ("a user profile now shadows the base", { try self.write("user", "base", self.base) }),
            ("base removed", { try FileManager.default.removeItem(atPath: self.root + "/installed/base.json") }),
        ]
        for (what, change) in changes {
            try? FileManager.default.removeItem(atPath: root + "/user/child.json")
            try? FileManager.default.removeItem(atPath: root + "/user/base.json")
            try write("installed", "base", base)
            try write("installed", "child", child)
            _ = try filter("child")
            XCTAssertNotNil(hit("child"), what)
            try change()
            XCTAssertNil(hit("child"), what)
        }
    }

    func testTargetIsPartOfTheKey() throws {
        try write("installed", "base", base)
        _ = try filter("base")
        let other = SeccompTarget(capabilities: ["CAP_SYS_ADMIN"], architecture: "amd64", kernel: amd64.kernel)
        XCTAssertNil(index.lookup(reference: "base", searchPath: searchPath, target: other))
        let newer = SeccompTarget(capabilities: SeccompTarget.dockerDefaultCapabilities, architecture: "amd64",
                                  kernel: KernelVersion(major: 9, minor: 0))
        XCTAssertNil(index.lookup(reference: "base", searchPath: searchPath, target: newer))
    }

    func testErrorsAreTheSlowPathsAndNothingIsIndexed() throws {
        XCTAssertThrowsError(try filter("missing")) { XCTAssert("\($0)".contains("no seccomp profile named \"missing\""), "\($0)") }
        XCTAssertThrowsError(try filter("/no/such.json")) { XCTAssert("\($0)".contains("no such profile file"), "\($0)") }
        try write("installed", "broken", "{")
        XCTAssertThrowsError(try filter("broken"))
        XCTAssertNil(hit("broken"))
        XCTAssertNil(try filter("unconfined"))
    }

    func testParseRoundTripsAndRejectsDamage() throws {
        let identity = try XCTUnwrap(FileIdentity(path: "/"))
        let files = [ProfileFile(baseName: nil, path: "/p/child.json", identity: identity),
                     ProfileFile(baseName: "base", path: "/p/base.json", identity: identity)]
        let bpf: [UInt8] = Array(0..<16)
        let key = Array("6.1\nx\n\u{0}key".utf8)
        let entry = FilterIndex.Entry(key: key, files: files, bpf: bpf)
        let good = try XCTUnwrap(FilterIndex.encode(entry))
        XCTAssertEqual(FilterIndex.parse(good), entry)
        // Every truncation is rejected, as is trailing junk.
        for n in 0..<good.count { XCTAssertNil(FilterIndex.parse(Array(good.prefix(n))), "truncated at \(n)") }
        XCTAssertNil(FilterIndex.parse(good + [0]))
        let text = String(decoding: good.prefix(good.count - bpf.count), as: UTF8.self)
        let hostile: [(String, String)] = [
            ("magic", text.replacingOccurrences(of: "index-2", with: "index-9")),
            ("key longer than the file", text.replacingOccurrences(of: "\n\(key.count)\n", with: "\n99999\n")),
            ("key length negative", text.replacingOccurrences(of: "\n\(key.count)\n", with: "\n-1\n")),
            ("key one short", text.replacingOccurrences(of: "\n\(key.count)\n", with: "\n\(key.count - 1)\n")),
            ("no files", text.replacingOccurrences(of: "key\n2\n", with: "key\n0\n")),
            ("too many files", text.replacingOccurrences(of: "key\n2\n", with: "key\n999999\n")),
            ("count not a number", text.replacingOccurrences(of: "key\n2\n", with: "key\nx\n")),
            ("identity short", text.replacingOccurrences(of: "\t\(identity.fields)\n", with: "\t1 2 3\n")),
            ("empty path", text.replacingOccurrences(of: "/p/base.json", with: "")),
            ("length odd", text.replacingOccurrences(of: "\n16\n", with: "\n15\n")),
            ("length negative", text.replacingOccurrences(of: "\n16\n", with: "\n-16\n")),
        ]
        for (what, damaged) in hostile {
            XCTAssertNotEqual(damaged, text, what)
            XCTAssertNil(FilterIndex.parse(Array(damaged.utf8) + bpf), what)
        }
        // A path that would break the line format is never indexed.
        XCTAssertNil(FilterIndex.encode(.init(key: key, files: [ProfileFile(baseName: nil, path: "/a\tb", identity: identity)], bpf: bpf)))
        XCTAssertNil(FilterIndex.encode(.init(key: key, files: [ProfileFile(baseName: nil, path: "/a", identity: nil)], bpf: bpf)))
    }

    /// The file name is a hash of the key; the key inside decides.
    func testAnotherKeyInTheSameFileMisses() throws {
        try write("installed", "base", base)
        let compiled = try XCTUnwrap(try filter("base"))
        XCTAssertEqual(hit("base"), compiled)
        let key = FilterIndex.key(reference: "base", searchPath: searchPath, target: amd64)
        let path = index.path(key: key)
        var entry = try XCTUnwrap(FilterIndex.parse(try XCTUnwrap(FileBytes.read(path))))
        entry.key += [0x78]
        FileBytes.writeAtomically(try XCTUnwrap(FilterIndex.encode(entry)), to: path, directory: cacheDir)
        XCTAssertNil(hit("base"))
    }

    /// The point of the index: a hit costs a stat per file and one read, no JSON.
    func testHitIsFasterThanLoading() throws {
        let library = ProfileLibrary(searchPaths: [repositoryProfiles])
        let cache = FilterCache(directory: cacheDir)
        let first = try XCTUnwrap(try seccompFilter(for: nil, target: amd64, library: library, cache: cache))
        var start = DispatchTime.now().uptimeNanoseconds
        let hit = try XCTUnwrap(try seccompFilter(for: nil, target: amd64, library: library, cache: cache))
        let hitNs = DispatchTime.now().uptimeNanoseconds - start
        start = DispatchTime.now().uptimeNanoseconds
        _ = try cache.filter(for: try library.load(named: "default").resolved(for: amd64), target: amd64)
        let loadNs = DispatchTime.now().uptimeNanoseconds - start
        XCTAssertEqual(hit.bpf, first.bpf)
        print("seccomp: index hit \(hitNs / 1000) us, load+resolve+cache \(loadNs / 1000) us")
        XCTAssertLessThan(hitNs, loadNs)
    }
}
