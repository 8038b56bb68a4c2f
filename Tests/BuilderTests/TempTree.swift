import Foundation
@testable import Builder
import CArchive   // <sys/xattr.h>, which Glibc's module leaves out
import Store
#if canImport(Glibc)
import Glibc
#endif

typealias OverrideStat = Whiteouts.OverrideStat

/// A scratch folder with helpers to lay out files, removed at deinit.
final class TempTree {
    let path: String

    init(_ label: String = "b") {
        path = NSTemporaryDirectory() + "/hutch-buildertests-\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        // Folders may have been left read-only by the code under test. Only
        // real folders: chmod follows symlinks, and a test tree holds links
        // that point out of it (to /tmp, to /), which must stay untouched.
        _ = try? FileManager.default.subpathsOfDirectory(atPath: path).forEach { rel in
            var st = stat()
            if lstat(path + "/" + rel, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR { chmod(path + "/" + rel, 0o755) }
        }
        try? FileManager.default.removeItem(atPath: path)
    }

    func dir(_ rel: String, mode: mode_t = 0o755) {
        try! FileManager.default.createDirectory(atPath: path + "/" + rel, withIntermediateDirectories: true)
        chmod(path + "/" + rel, mode)
    }

    func file(_ rel: String, _ text: String = "x", mode: mode_t = 0o644) {
        let full = path + "/" + rel
        try! FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: full, contents: Data(text.utf8))
        chmod(full, mode)
    }

    func link(_ rel: String, to target: String) {
        let full = path + "/" + rel
        try! FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        symlink(target, full)
    }

    func whiteout(_ rel: String) {
        file(rel, "")
        let value = Array("y".utf8)
        _ = lsetxattr(path + "/" + rel, "user.overlay.whiteout", value, value.count, 0)
    }

    func opaque(_ rel: String) {
        let value = Array("y".utf8)
        _ = lsetxattr(path + "/" + rel, "user.overlay.opaque", value, value.count, 0)
    }

    func read(_ rel: String) -> String? {
        FileManager.default.contents(atPath: path + "/" + rel).map { String(decoding: $0, as: UTF8.self) }
    }

    func exists(_ rel: String) -> Bool { lstatEntry(path + "/" + rel) != nil }

    func mode(_ rel: String) -> UInt32? { lstatEntry(path + "/" + rel).map { UInt32($0.st_mode) & 0o7777 } }

    func owner(_ rel: String) -> OverrideStat? { Whiteouts.overrideStat(path: path + "/" + rel) }

    /// Every path below the folder, sorted, folders with a trailing "/".
    func listing(_ rel: String = "") -> [String] {
        let base = rel.isEmpty ? path : path + "/" + rel
        let items = (try? FileManager.default.subpathsOfDirectory(atPath: base)) ?? []
        return items.map { item in
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: base + "/" + item, isDirectory: &isDir)
            let st = lstatEntry(base + "/" + item)!
            return kind(of: st) == .directory ? item + "/" : item
        }.sorted()
    }
}
