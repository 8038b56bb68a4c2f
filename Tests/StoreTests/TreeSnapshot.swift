import Foundation
import OCI
@testable import Store

/// A tree as text lines, one per entry (type, mode, owner, size, content
/// hash, link target, xattrs, mtime), so two trees compare with one assert.
/// Owners come from override_stat when set, else from lstat.
func snapshot(_ root: String, times: Bool = true) -> [String] {
    var lines: [String] = []
    func visit(_ path: String, _ rel: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        var line = rel + " "
        let type = st.st_mode & S_IFMT
        switch type {
        case S_IFDIR: line += "dir"
        case S_IFLNK: line += "link->" + ((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")
        case S_IFIFO: line += "fifo"
        case S_IFCHR: line += "char"
        case S_IFREG:
            let data = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
            line += "file \(data.count) \(Digest.sha256(of: data).shortHex)"
            if st.st_nlink > 1 { line += " links=\(st.st_nlink)" }
        default: line += "other"
        }
        let whiteout = Whiteouts.isWhiteout(path: path)
        if let o = Whiteouts.overrideStat(path: path) {
            line += " \(o.text)"
        } else if type != S_IFLNK {
            line += " \(st.st_uid):\(st.st_gid):0\(String(st.st_mode & 0o7777, radix: 8))"
        }
        if type != S_IFLNK {
            var list = [CChar](repeating: 0, count: 4096)
            let n = listxattr(path, &list, list.count)
            if n > 0 {
                let names = String(decoding: list[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    .split(separator: "\0").map(String.init).sorted()
                for k in names where k != Whiteouts.overrideStatXattr {
                    line += " \(k)=\(Whiteouts.get(k, path: path) ?? "")"
                }
            }
        }
        if times && !whiteout && type != S_IFDIR { line += " t=\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)" }
        lines.append(line)
        if type == S_IFDIR {
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() {
                visit(path + "/" + name, rel + "/" + name)
            }
        }
    }
    visit(root, ".")
    return lines
}

/// The entries of a layer blob, as `path type uid:gid:mode [-> link]` lines, in archive order.
func listTar(_ path: String) throws -> [String] {
    let a = archive_read_new()!
    defer { archive_read_free(a) }
    archive_read_support_filter_all(a)
    archive_read_support_format_tar(a)
    guard archive_read_open_filename(a, path, 65536) == ARCHIVE_OK else {
        throw StoreError.brokenArchive(String(cString: archive_error_string(a)))
    }
    var out: [String] = []
    var entry: OpaquePointer?
    while true {
        let r = archive_read_next_header(a, &entry)
        if r == ARCHIVE_EOF { break }
        guard r >= ARCHIVE_WARN, let e = entry else { throw StoreError.brokenArchive(String(cString: archive_error_string(a))) }
        let t = archive_entry_filetype(e)
        var line = String(cString: archive_entry_pathname(e)) + " " + String(t, radix: 8)
            + " \(archive_entry_uid(e)):\(archive_entry_gid(e)):0\(String(archive_entry_perm(e), radix: 8))"
        if let h = archive_entry_hardlink(e) { line += " hardlink->" + String(cString: h) }
        if let s = archive_entry_symlink(e) { line += " ->" + String(cString: s) }
        if t == 0o020000 { line += " dev=\(archive_entry_rdevmajor(e)),\(archive_entry_rdevminor(e))" }
        if archive_entry_xattr_reset(e) > 0 {
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            while archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK, let name {
                line += " xattr:" + String(cString: name)
            }
        }
        out.append(line)
    }
    return out
}

import CArchive
