import Foundation
import CArchive

/// Builds test archives with libarchive, including entries no honest tool writes.
struct TarEntry {
    enum Kind { case file(String), dir, symlink(String), hardlink(String), char(Int, Int) }
    var path: String
    var kind: Kind
    var mode: Int32 = 0o644
    var uid: Int = 0
    var gid: Int = 0

    init(_ path: String, _ kind: Kind, mode: Int32? = nil, uid: Int = 0, gid: Int = 0) {
        self.path = path
        self.kind = kind
        if case .dir = kind { self.mode = 0o755 }
        if let mode { self.mode = mode }
        self.uid = uid
        self.gid = gid
    }
}

enum Compression { case none, gzip, zstd }

func writeTar(_ entries: [TarEntry], to path: String, compression: Compression = .gzip) {
    let a = archive_write_new()!
    archive_write_set_format_pax_restricted(a)
    switch compression {
    case .none: break
    case .gzip: archive_write_add_filter_gzip(a)
    case .zstd: archive_write_add_filter_zstd(a)
    }
    archive_write_open_filename(a, path)
    for e in entries {
        let entry = archive_entry_new()!
        archive_entry_set_pathname(entry, e.path)
        archive_entry_set_perm(entry, mode_t(e.mode))
        archive_entry_set_uid(entry, la_int64_t(e.uid))
        archive_entry_set_gid(entry, la_int64_t(e.gid))
        archive_entry_set_mtime(entry, 1_700_000_000, 0)
        var data: [UInt8] = []
        switch e.kind {
        case let .file(text):
            data = Array(text.utf8)
            archive_entry_set_filetype(entry, 0o100000)
            archive_entry_set_size(entry, la_int64_t(data.count))
        case .dir:
            archive_entry_set_filetype(entry, 0o040000)
        case let .symlink(target):
            archive_entry_set_filetype(entry, 0o120000)
            archive_entry_set_symlink(entry, target)
        case let .hardlink(target):
            archive_entry_set_filetype(entry, 0o100000)
            archive_entry_set_hardlink(entry, target)
        case let .char(major, minor):
            archive_entry_set_filetype(entry, 0o020000)
            archive_entry_set_rdevmajor(entry, dev_t(major))
            archive_entry_set_rdevminor(entry, dev_t(minor))
        }
        archive_write_header(a, entry)
        if !data.isEmpty { _ = data.withUnsafeBytes { archive_write_data(a, $0.baseAddress, $0.count) } }
        archive_entry_free(entry)
    }
    archive_write_close(a)
    archive_write_free(a)
}
