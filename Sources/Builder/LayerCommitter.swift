import CArchive
import Foundation
import OCI
import Store
#if canImport(Glibc)
import Glibc
#endif

/// Commits a step's upper directory as a layer: an uncompressed OCI tar
/// (so the blob's digest is the diffID) with overlay whiteouts turned into
/// `.wh.` entries, opaque folders into `.wh..wh..opq`, owners and modes
/// from override_stat (else the id map back to the image's ids), mtimes
/// kept, entries sorted so the same files give the same layer. The blob
/// is then unpacked into the store's layers by the store's own unpacker.
public struct LayerCommitter: LayerCommitting {
    public let store: Store
    /// Host uid/gid -> image uid/gid for files with no override_stat.
    /// The third argument: the ids come from override_stat (so the user's own id is not mapped).
    public var mapOwner: (UInt32, UInt32, Bool) -> (UInt32, UInt32)

    public init(store: Store, mapOwner: @escaping (UInt32, UInt32, Bool) -> (UInt32, UInt32) = LayerCommitter.hostOwnerMap()) {
        self.store = store
        self.mapOwner = mapOwner
    }

    /// The building user is root in the image; ids of its subordinate
    /// range are 1, 2, ... (as a user namespace maps them).
    public static func hostOwnerMap() -> (UInt32, UInt32, Bool) -> (UInt32, UInt32) {
        let uid = getuid(), gid = getgid()
        let name = getpwuid(uid).map { String(cString: $0.pointee.pw_name) }
        func range(_ file: String) -> (UInt32, UInt32)? {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
            for line in text.split(separator: "\n") {
                let f = line.split(separator: ":")
                guard f.count == 3, f[0] == name ?? "" || f[0] == String(uid),
                      let start = UInt32(f[1]), let count = UInt32(f[2]) else { continue }
                return (start, count)
            }
            return nil
        }
        let subuid = range("/etc/subuid"), subgid = range("/etc/subgid")
        return { u, g, recorded in
            func map(_ id: UInt32, _ own: UInt32, _ r: (UInt32, UInt32)?) -> UInt32 {
                if id == own && !recorded { return 0 }
                if let (start, count) = r, id >= start, id - start < count { return id - start + 1 }
                return id
            }
            return (map(u, uid, subuid), map(g, gid, subgid))
        }
    }

    public func commitLayer(upperDirectory: String) throws -> (diffID: Digest, blob: Descriptor) {
        let tarPath = upperDirectory + ".tar"
        defer { unlink(tarPath) }
        try writeTar(of: upperDirectory, to: tarPath)
        // Into the blob store, digesting as it goes.
        let writer = try store.blobs.beginWrite()
        let fd = open(tarPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { writer.abort(); throw BuildError.errno("open", tarPath) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        do {
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 { if errno == EINTR { continue }; throw BuildError.errno("read", tarPath) }
                if n == 0 { break }
                try buffer.withUnsafeBytes { try writer.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            }
        } catch { writer.abort(); throw error }
        let digest = try writer.commit()
        let lock = try FileLock(path: store.root + "/store.lock")
        let record = try store.layers.unpack(blobAt: store.blobs.path(for: digest), expectedDiffID: digest,
                                             ownership: .xattr, lock: lock)
        return (record.diffID, Descriptor(mediaType: MediaType.ociLayer, digest: digest,
                                          size: store.blobs.size(of: digest) ?? 0))
    }

    func writeTar(of root: String, to path: String) throws {
        guard let archive = archive_write_new() else { throw BuildError("cannot start a tar archive") }
        defer { archive_write_free(archive) }
        archive_write_set_format_pax_restricted(archive)
        guard archive_write_open_filename(archive, path) == ARCHIVE_OK else {
            throw BuildError("cannot write \(path): \(archiveMessage(archive))")
        }
        var links: [UInt64: String] = [:]
        try addChildren(of: root, relative: "", archive: archive, links: &links)
        guard archive_write_close(archive) == ARCHIVE_OK else {
            throw BuildError("cannot finish \(path): \(archiveMessage(archive))")
        }
    }

    func addChildren(of directory: String, relative: String, archive: OpaquePointer,
                     links: inout [UInt64: String]) throws {
        for name in try directoryNames(directory).sorted() {
            let host = directory + "/" + name
            let rel = relative.isEmpty ? name : relative + "/" + name
            guard let st = lstatEntry(host) else { continue }
            if OverlayMarker.isWhiteout(host, st) {
                let parent = relative.isEmpty ? "" : relative + "/"
                try writeHeader(archive, name: parent + ".wh." + name, st: st, type: 0o100000, size: 0,
                                owner: (0, 0), mode: 0o644)
                continue
            }
            let override = OverrideStat.read(host)
            // hutch-unionfs mounted as the user records a RUN's chown with host ids (the
            // subordinate range); COPY and the store record image ids. Ids of the
            // range map back; the others are image ids already.
            let owner = override.map { mapOwner($0.uid, $0.gid, true) }
                ?? mapOwner(UInt32(st.st_uid), UInt32(st.st_gid), false)
            let mode = override?.mode ?? (UInt32(st.st_mode) & 0o7777)
            switch kind(of: st) {
            case .directory:
                try writeHeader(archive, name: rel + "/", st: st, type: 0o040000, size: 0, owner: owner, mode: mode)
                if OverlayMarker.isOpaque(host) {
                    try writeHeader(archive, name: rel + "/.wh..wh..opq", st: st, type: 0o100000, size: 0,
                                    owner: (0, 0), mode: 0o644)
                }
                try addChildren(of: host, relative: rel, archive: archive, links: &links)
            case .symlink:
                try writeHeader(archive, name: rel, st: st, type: 0o120000, size: 0, owner: owner, mode: 0o777,
                                link: readLink(host))
            case .file:
                let inode = UInt64(st.st_ino)
                if st.st_nlink > 1, let first = links[inode] {
                    try writeHeader(archive, name: rel, st: st, type: 0o100000, size: 0, owner: owner, mode: mode,
                                    hardlink: first)
                    continue
                }
                if st.st_nlink > 1 { links[inode] = rel }
                try writeHeader(archive, name: rel, st: st, type: 0o100000, size: Int64(st.st_size), owner: owner,
                                mode: mode)
                try writeData(archive, from: host)
            case .other:
                continue // sockets and fifos a RUN left behind are not image content
            }
        }
    }

    func writeHeader(_ archive: OpaquePointer, name: String, st: stat, type: UInt32, size: Int64,
                     owner: (UInt32, UInt32), mode: UInt32, link: String? = nil, hardlink: String? = nil) throws {
        guard let entry = archive_entry_new() else { throw BuildError("out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, name)
        if let hardlink {
            archive_entry_set_hardlink(entry, hardlink)
        } else {
            archive_entry_set_filetype(entry, type)
        }
        archive_entry_set_perm(entry, mode_t(mode))
        archive_entry_set_uid(entry, la_int64_t(owner.0))
        archive_entry_set_gid(entry, la_int64_t(owner.1))
        archive_entry_set_size(entry, size)
        archive_entry_set_mtime(entry, st.st_mtim.tv_sec, st.st_mtim.tv_nsec)
        if let link { archive_entry_set_symlink(entry, link) }
        guard archive_write_header(archive, entry) == ARCHIVE_OK else {
            throw BuildError("cannot add \(name) to the layer: \(archiveMessage(archive))")
        }
    }

    func writeData(_ archive: OpaquePointer, from host: String) throws {
        let fd = open(host, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BuildError.errno("open", host) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw BuildError.errno("read", host) }
            if n == 0 { return }
            let written = buffer.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, n) }
            if written < 0 { throw BuildError("cannot add \(host) to the layer: \(archiveMessage(archive))") }
        }
    }

    func archiveMessage(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
    }
}
