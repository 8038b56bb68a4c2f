import Foundation
import OCI
import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// The decompressed stream of a layer blob, hashed as it passes: the tar
/// reader pulls from here, so the diffID costs no second read.
final class DecompressedSource {
    let outer: OpaquePointer
    var hasher = DigestHasher()
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 17, alignment: 16)
    var error: String?

    init(path: String) throws {
        outer = archive_read_new()
        archive_read_support_filter_all(outer)
        archive_read_support_format_raw(outer)
        // Every property is set by now, so a throw below runs deinit, which
        // frees `outer` and `buffer`: freeing them here too aborted on an empty file.
        guard archive_read_open_filename(outer, path, 1 << 17) == ARCHIVE_OK else {
            throw StoreError.brokenArchive(archive_error_string(outer).map { String(cString: $0) } ?? "cannot open \(path)")
        }
        var entry: OpaquePointer?
        let r = archive_read_next_header(outer, &entry)
        guard r == ARCHIVE_OK || r == ARCHIVE_WARN else {
            throw StoreError.brokenArchive(archive_error_string(outer).map { String(cString: $0) } ?? "empty file")
        }
    }

    deinit {
        archive_read_free(outer)
        buffer.deallocate()
    }

    /// Reads what the tar reader left (end-of-archive padding) into the hash.
    func drain() throws {
        while true {
            let n = archive_read_data(outer, buffer, 1 << 17)
            if n < 0 { throw StoreError.brokenArchive(String(cString: archive_error_string(outer))) }
            if n == 0 { return }
            hasher.update(UnsafeRawBufferPointer(start: buffer, count: n))
        }
    }
}

extension DecompressedSource {
    /// The next decompressed chunk, for the tar reader's callback.
    func next(_ out: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
        let n = archive_read_data(outer, buffer, 1 << 17)
        if n < 0 {
            error = archive_error_string(outer).map { String(cString: $0) } ?? "read error"
            return -1
        }
        hasher.update(UnsafeRawBufferPointer(start: buffer, count: n))
        out.pointee = UnsafeRawPointer(buffer)
        return n
    }
}

// libarchive's entry types (macros with casts, which Swift does not import).
let AE_IFREG: UInt32 = 0o100000
let AE_IFLNK: UInt32 = 0o120000
let AE_IFCHR: UInt32 = 0o020000
let AE_IFBLK: UInt32 = 0o060000
let AE_IFDIR: UInt32 = 0o040000
let AE_IFIFO: UInt32 = 0o010000
let O_PATH: Int32 = 0o10000000

/// Writes one layer archive into a fresh folder, refusing anything that
/// would land outside it, and turning OCI whiteouts and ownership into the
/// forms described in Whiteouts.swift.
final class LayerUnpacker {
    let destination: String
    let ownership: OwnershipMode
    let rootFD: Int32
    static let maxEntrySize: Int64 = 1 << 40

    init(destination: String, ownership: OwnershipMode) throws {
        try check(mkdir(destination, 0o755), "cannot create", destination)
        guard let real = realpath(destination, nil) else { throw StoreError.io("cannot resolve", path: destination, errno: errno) }
        self.destination = String(cString: real)
        free(real)
        self.ownership = ownership
        rootFD = open(self.destination, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if rootFD < 0 { throw StoreError.io("cannot open", path: destination, errno: errno) }
    }

    deinit { close(rootFD) }

    struct Result { var diffID: Digest; var size: Int64; var entries: Int }

    func unpack(fileAt path: String) throws -> Result {
        let source = try DecompressedSource(path: path)
        let reader = archive_read_new()!
        defer { archive_read_free(reader) }
        archive_read_support_format_tar(reader)
        let context = Unmanaged.passUnretained(source).toOpaque()
        guard archive_read_open(reader, context, nil, { _, context, out in
            Unmanaged<DecompressedSource>.fromOpaque(context!).takeUnretainedValue().next(out!)
        }, nil) == ARCHIVE_OK else {
            throw StoreError.brokenArchive(source.error ?? String(cString: archive_error_string(reader)))
        }
        let writer = archive_write_disk_new()!
        defer { archive_write_free(writer) }
        var flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_SYMLINKS
            | ARCHIVE_EXTRACT_SECURE_NODOTDOT
        if ownership == .chown { flags |= ARCHIVE_EXTRACT_OWNER }
        archive_write_disk_set_options(writer, flags)
        var xattrsOn = false

        var size: Int64 = 0
        var entries = 0
        let myUID = getuid(), myGID = getgid()
        while true {
            var entryPointer: OpaquePointer?
            let r = archive_read_next_header(reader, &entryPointer)
            if r == ARCHIVE_EOF { break }
            guard r >= ARCHIVE_WARN, let entry = entryPointer else {
                throw StoreError.brokenArchive(source.error ?? String(cString: archive_error_string(reader)))
            }
            let raw = String(cString: archive_entry_pathname(entry))
            let rel = try cleanPath(raw)
            if rel.isEmpty { continue }   // "./": the layer root is ours
            let (parent, base) = split(rel)
            if base == Whiteouts.ociOpaqueMarker {
                let dir = try openDirectory(parent)
                defer { close(dir) }
                try Whiteouts.markOpaque(directory: dir)
                continue
            }
            if let deleted = Whiteouts.deletedName(base) {
                guard !deleted.isEmpty, deleted != ".", deleted != ".." else {
                    throw StoreError.hostileArchive("bad whiteout entry \(raw)")
                }
                let dir = try openDirectory(parent)
                defer { close(dir) }
                try Whiteouts.makeWhiteout(named: deleted, inDirectory: dir)
                continue
            }
            let entrySize = archive_entry_size(entry)
            guard entrySize >= 0, entrySize <= LayerUnpacker.maxEntrySize else {
                throw StoreError.hostileArchive("entry \(raw) claims \(entrySize) bytes")
            }
            let type = archive_entry_filetype(entry)
            let uid = UInt32(truncatingIfNeeded: archive_entry_uid(entry))
            let gid = UInt32(truncatingIfNeeded: archive_entry_gid(entry))
            let perm = UInt32(archive_entry_perm(entry))
            var deviceType: String?
            if type == (AE_IFCHR) || type == (AE_IFBLK) {
                // mknod needs privileges no user namespace grants: a stand-in file records it.
                let kind = type == (AE_IFCHR) ? "char" : "block"
                deviceType = "\(kind)-\(archive_entry_rdevmajor(entry))-\(archive_entry_rdevminor(entry))"
                archive_entry_set_filetype(entry, (AE_IFREG))
                archive_entry_set_size(entry, 0)
                archive_entry_set_perm(entry, mode_t(perm & 0o7777))
            }
            if let link = archive_entry_hardlink(entry) {
                let target = try cleanPath(String(cString: link))
                guard !target.isEmpty else { throw StoreError.hostileArchive("hardlink \(raw) points at the layer root") }
                // The target must already be in this layer, reached without a symlink.
                let fd = hutch_openat2(rootFD, target, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0,
                                       UInt64(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS))
                guard fd >= 0 else { throw StoreError.hostileArchive("hardlink \(raw) -> \(target) leads outside the layer or to nothing") }
                close(fd)
                archive_entry_set_hardlink(entry, destination + "/" + target)
            }
            // Restoring xattrs costs syscalls on every entry: asked for only where there are some.
            let hasXattrs = dropBookkeepingXattrs(entry)
            if hasXattrs != xattrsOn {
                archive_write_disk_set_options(writer, hasXattrs ? flags | ARCHIVE_EXTRACT_XATTR : flags)
                xattrsOn = hasXattrs
            }
            archive_entry_set_pathname(entry, destination + "/" + rel)
            if ownership == .xattr {
                // Owned by us on disk (so setuid bits survive); the archive's ids go in the xattr.
                archive_entry_set_uid(entry, la_int64_t(myUID))
                archive_entry_set_gid(entry, la_int64_t(myGID))
            }
            let w = archive_write_header(writer, entry)
            if w == ARCHIVE_WARN && Self.outOfSpace(archive_errno(writer)) { throw writeError(writer, raw) }
            if w < ARCHIVE_WARN {
                let message = String(cString: archive_error_string(writer))
                if message.contains("symlink") || message.contains("..") || message.contains("Path contains") {
                    throw StoreError.hostileArchive("\(raw): \(message)")
                }
                throw StoreError.io("cannot write \(raw):", path: message, errno: archive_errno(writer))
            }
            if archive_entry_size(entry) > 0 && archive_entry_hardlink(entry) == nil {
                try copyData(from: reader, to: writer, name: raw, source: source)
            }
            let finished = archive_write_finish_entry(writer)
            if finished < ARCHIVE_WARN || (finished == ARCHIVE_WARN && Self.outOfSpace(archive_errno(writer))) {
                throw writeError(writer, raw)
            }
            entries += 1
            if type == (AE_IFREG) { size += entrySize }
            if ownership == .xattr && type != (AE_IFLNK) && (uid != 0 || gid != 0 || deviceType != nil) {
                let fd = hutch_openat2(rootFD, rel, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0,
                                       UInt64(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS))
                if fd >= 0 {
                    defer { close(fd) }
                    try Whiteouts.setOverrideStat(.init(uid: uid, gid: gid, mode: perm, type: deviceType), fd: fd)
                }
            }
        }
        if let e = source.error { throw StoreError.brokenArchive(e) }
        try source.drain()
        if archive_write_close(writer) < ARCHIVE_WARN {
            throw StoreError.io("cannot finish layer", path: String(cString: archive_error_string(writer)),
                                errno: archive_errno(writer))
        }
        if ownership == .xattr {
            // fuse-overlayfs reads the root's xattr to know the layer uses override_stat.
            var st = stat()
            fstat(rootFD, &st)
            try Whiteouts.setOverrideStat(.init(uid: 0, gid: 0, mode: UInt32(st.st_mode & 0o7777)), fd: rootFD)
        }
        return Result(diffID: source.hasher.finalize(), size: size, entries: entries)
    }

    static func outOfSpace(_ e: Int32) -> Bool { e == ENOSPC || e == EDQUOT || e == EIO }

    /// A write into the layer failed: a full disk names the store folder it filled.
    private func writeError(_ writer: OpaquePointer, _ name: String) -> StoreError {
        let e = archive_errno(writer)
        if Self.outOfSpace(e) { return StoreError.io("cannot unpack \(name) into", path: destination, errno: e) }
        return StoreError.io("cannot write \(name):", path: String(cString: archive_error_string(writer)), errno: e)
    }

    private func copyData(from reader: OpaquePointer, to writer: OpaquePointer, name: String,
                          source: DecompressedSource) throws {
        var buffer: UnsafeRawPointer?
        var length = 0
        var offset: la_int64_t = 0
        while true {
            let r = archive_read_data_block(reader, &buffer, &length, &offset)
            if r == ARCHIVE_EOF { return }
            if r < ARCHIVE_WARN {
                throw StoreError.brokenArchive("\(name): " + (source.error ?? String(cString: archive_error_string(reader))))
            }
            // libarchive reports a failed write(2) (a full disk) as a mere
            // ARCHIVE_WARN and goes on: a layer with a truncated file must not be kept.
            if archive_write_data_block(writer, buffer, length, offset) < ARCHIVE_OK {
                throw writeError(writer, name)
            }
        }
    }

    /// A directory of the layer, made when missing, reached without symlinks.
    private func openDirectory(_ rel: String) throws -> Int32 {
        var fd = dup(rootFD)
        for component in rel.split(separator: "/") {
            let name = String(component)
            var next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT {
                mkdirat(fd, name, 0o755)
                next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            close(fd)
            if next < 0 { throw StoreError.hostileArchive("\(rel) is not a directory inside the layer") }
            fd = next
        }
        return fd
    }
}

/// Keeps the xattrs an image may carry (security.capability, user.*) and
/// drops those that would speak for overlay or the store (a layer must not
/// forge whiteouts, redirects or override_stat through xattrs).
/// True when the entry keeps some.
@discardableResult
func dropBookkeepingXattrs(_ entry: OpaquePointer) -> Bool {
    guard archive_entry_xattr_reset(entry) > 0 else { return false }
    var kept: [(String, [UInt8])] = []
    var name: UnsafePointer<CChar>?
    var value: UnsafeRawPointer?
    var size = 0
    var dropped = false
    while archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK, let name {
        let key = String(cString: name)
        if UpperWalker.isBookkeeping(key) { dropped = true; continue }
        kept.append((key, value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []))
    }
    guard dropped else { return true }
    archive_entry_xattr_clear(entry)
    for (k, v) in kept { v.withUnsafeBytes { archive_entry_xattr_add_entry(entry, k, $0.baseAddress, $0.count) } }
    return !kept.isEmpty
}

/// An entry's path relative to the layer root; absolute paths and `..` are refused.
func cleanPath(_ raw: String) throws -> String {
    if raw.hasPrefix("/") { throw StoreError.hostileArchive("absolute path \(raw)") }
    var parts: [Substring] = []
    for c in raw.split(separator: "/") where c != "." {
        if c == ".." { throw StoreError.hostileArchive("path \(raw) leads outside the layer") }
        parts.append(c)
    }
    return parts.joined(separator: "/")
}

private func split(_ rel: String) -> (String, String) {
    guard let slash = rel.lastIndex(of: "/") else { return ("", rel) }
    return (String(rel[..<slash]), String(rel[rel.index(after: slash)...]))
}
