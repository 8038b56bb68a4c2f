import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// ADD's local archive extraction: a tar, plain or compressed (gzip, bzip2,
/// xz, zstd), unpacked into the destination with the owners it records.
enum ArchiveExtractor {
    static func open(_ hostPath: String) -> OpaquePointer? {
        guard let archive = archive_read_new() else { return nil }
        archive_read_support_filter_all(archive)
        archive_read_support_format_tar(archive)
        archive_read_support_format_gnutar(archive)
        guard archive_read_open_filename(archive, hostPath, 1 << 16) == ARCHIVE_OK else {
            archive_read_free(archive)
            return nil
        }
        return archive
    }

    /// Whether Docker's ADD would extract this file: it reads as a tar.
    static func isArchive(_ hostPath: String) -> Bool {
        guard let archive = open(hostPath) else { return false }
        defer { archive_read_free(archive) }
        var entry: OpaquePointer?
        return archive_read_next_header(archive, &entry) == ARCHIVE_OK
    }

    static func extract(_ hostPath: String, into target: [String], writer: LayerWriter) throws {
        guard let archive = open(hostPath) else { throw BuildError("cannot open archive \(hostPath)") }
        defer { archive_read_free(archive) }
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                throw BuildError("cannot read archive \(hostPath): \(message(archive))")
            }
            let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
            let components = TreePath.components(name)
            if components.isEmpty { continue }
            let path = target + components
            let owner = Ownership(uid: UInt32(truncatingIfNeeded: archive_entry_uid(entry)),
                                  gid: UInt32(truncatingIfNeeded: archive_entry_gid(entry)))
            let mode = UInt32(archive_entry_perm(entry)) & 0o7777
            let mtime = timespec(tv_sec: archive_entry_mtime(entry), tv_nsec: archive_entry_mtime_nsec(entry))
            if let hardlink = archive_entry_hardlink(entry) {
                try writer.writeHardlink(path, to: target + TreePath.components(String(cString: hardlink)))
                continue
            }
            switch UInt32(archive_entry_filetype(entry)) & 0o170000 {
            case 0o040000:
                try writer.writeDirectory(path, mode: mode, owner: owner, mtime: mtime)
            case 0o120000:
                let link = archive_entry_symlink(entry).map { String(cString: $0) } ?? ""
                try writer.writeSymlink(path, target: link, owner: owner, mtime: mtime)
            case 0o100000:
                try writer.writeFile(path, mode: mode, owner: owner, mtime: mtime) { fd in
                    let r = archive_read_data_into_fd(archive, fd)
                    if r != ARCHIVE_OK && r != ARCHIVE_WARN {
                        throw BuildError("cannot extract \(name) from \(hostPath): \(message(archive))")
                    }
                }
            default:
                continue // devices and fifos cannot be made without privileges; Docker's rootless mode skips them too
            }
        }
    }

    static func message(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
    }
}
