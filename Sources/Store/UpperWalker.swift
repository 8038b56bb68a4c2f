import Foundation
import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// Walks an upper directory, depth first, names in byte order (so the same
/// tree always gives the same tar), turning each entry into tar entries:
/// whiteouts (xattr form, 0/0 character devices, override_stat
/// `char-0-0`) into `.wh.NAME`, opaque directories into `.wh..wh..opq`,
/// override_stat into owners, modes and device types. Everything is reached
/// through directory fds, so no symlink is followed and no path grows past
/// PATH_MAX.
final class UpperWalker {
    let stream: LayerStream
    let owners: OwnerMapping
    let excluding: Set<String>
    /// Where hutch-unionfs's metadata-only copies may take their data from
    /// (the store's layers); nil refuses them.
    let dataRoot: String?
    private(set) var contentSize: Int64 = 0
    private(set) var entries = 0
    private(set) var skipped: [String] = []
    /// First path of each multiply-linked inode, for tar hardlinks.
    private var linkTargets: [InodeKey: String] = [:]
    private let entry = archive_entry_new()!
    private let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 17, alignment: 16)

    struct InodeKey: Hashable { let dev: UInt64; let ino: UInt64 }

    init(stream: LayerStream, owners: OwnerMapping, excluding: Set<String>, dataRoot: String? = nil) {
        self.stream = stream
        self.owners = owners
        self.dataRoot = dataRoot
        self.excluding = Set(excluding.map { (try? cleanPath($0)) ?? $0 })
    }

    deinit {
        archive_entry_free(entry)
        buffer.deallocate()
    }

    func walk(root: String) throws {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw StoreError.io("cannot open the layer folder", path: root, errno: errno) }
        defer { close(fd) }
        try walkDirectory(fd, prefix: "")
    }

    /// Names in a directory, sorted by their bytes.
    private func names(in dirFD: Int32, path: String) throws -> [[UInt8]] {
        let copy = openat(dirFD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard copy >= 0, let dir = fdopendir(copy) else {
            throw StoreError.io("cannot read folder", path: path.isEmpty ? "/" : path, errno: errno)
        }
        defer { closedir(dir) }
        var result: [[UInt8]] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { Array($0.prefix(while: { $0 != 0 })) }
            if name == [0x2e] || name == [0x2e, 0x2e] { continue }
            result.append(name)
        }
        return result.sorted { $0.lexicographicallyPrecedes($1) }
    }

    private func walkDirectory(_ dirFD: Int32, prefix: String) throws {
        for nameBytes in try names(in: dirFD, path: prefix) {
            let name = String(decoding: nameBytes, as: UTF8.self)
            let path = prefix + name
            if excluding.contains(path) { continue }
            var st = stat()
            if fstatat(dirFD, name, &st, AT_SYMLINK_NOFOLLOW) != 0 {
                if errno == ENOENT { continue }   // gone while we walked
                throw StoreError.io("cannot stat", path: path, errno: errno)
            }
            let type = st.st_mode & S_IFMT
            if type == S_IFCHR && st.st_rdev == 0 {
                try writeMarker(prefix + Whiteouts.ociPrefix + name)
                continue
            }
            if type == S_IFSOCK {
                skipped.append(path)   // a tar cannot hold a socket; Docker skips them too
                continue
            }
            var xattrs: [(String, [UInt8])] = []
            var override: Whiteouts.OverrideStat?
            var opaque = false
            var dataSource: [UInt8]?
            if type == S_IFREG || type == S_IFDIR {
                let pathFD = openat(dirFD, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)
                if pathFD < 0 { throw StoreError.io("cannot open", path: path, errno: errno) }
                xattrs = readXattrs(Whiteouts.procPath(pathFD))
                close(pathFD)
                for (key, value) in xattrs {
                    switch key {
                    case Whiteouts.whiteoutXattr, "trusted.overlay.whiteout":
                        if type == S_IFREG { override = .init(uid: 0, gid: 0, mode: 0, type: "char-0-0") }
                    case Whiteouts.opaqueXattr, "trusted.overlay.opaque":
                        if value == Array(Whiteouts.opaqueValue.utf8) { opaque = true }
                    case StubData.xattrName:
                        if type == S_IFREG { dataSource = value }
                    case Whiteouts.overrideStatXattr:
                        if override?.type != "char-0-0" {
                            override = Whiteouts.OverrideStat(text: String(decoding: value, as: UTF8.self))
                        }
                    default: break
                    }
                }
                xattrs.removeAll { UpperWalker.isBookkeeping($0.0) }
            }
            if type == S_IFREG, let t = override?.type, t == "char-0-0" {
                try writeMarker(prefix + Whiteouts.ociPrefix + name)
                continue
            }
            try writeEntry(dirFD: dirFD, name: name, path: path, st: st, override: override, xattrs: xattrs,
                           dataSource: dataSource)
            if type == S_IFDIR {
                if opaque { try writeMarker(path + "/" + Whiteouts.ociOpaqueMarker) }
                let child = try openDirectory(dirFD, name, path: path, st: st)
                defer { close(child) }
                try whileSearchable(child, st) { try walkDirectory(child, prefix: path + "/") }
            }
        }
    }

    /// xattrs that describe the upper itself (overlay's and the store's
    /// bookkeeping), not the file in the image.
    static func isBookkeeping(_ name: String) -> Bool {
        name.hasPrefix("user.overlay.") || name.hasPrefix("trusted.overlay.") || name.hasPrefix("user.containers.")
            || name.hasPrefix("user.fuseoverlayfs.") || name.hasPrefix("user.hutch.") || name == "security.selinux"
    }

    private func writeMarker(_ path: String) throws {
        archive_entry_clear(entry)
        archive_entry_set_pathname(entry, path)
        archive_entry_set_filetype(entry, AE_IFREG)
        archive_entry_set_perm(entry, 0)
        archive_entry_set_size(entry, 0)
        try stream.writeHeader(entry, path: path)
    }

    private func writeEntry(dirFD: Int32, name: String, path: String, st: stat,
                            override: Whiteouts.OverrideStat?, xattrs: [(String, [UInt8])], dataSource: [UInt8]?) throws {
        let type = st.st_mode & S_IFMT
        archive_entry_clear(entry)
        archive_entry_set_pathname(entry, path)
        archive_entry_set_uid(entry, la_int64_t(override?.uid ?? owners.uid(st.st_uid)))
        archive_entry_set_gid(entry, la_int64_t(override?.gid ?? owners.gid(st.st_gid)))
        archive_entry_set_perm(entry, mode_t(override?.mode ?? UInt32(st.st_mode & 0o7777)))
        archive_entry_set_mtime(entry, st.st_mtim.tv_sec, st.st_mtim.tv_nsec)
        for (key, value) in xattrs {
            value.withUnsafeBytes { archive_entry_xattr_add_entry(entry, key, $0.baseAddress, $0.count) }
        }
        var copyFrom = false
        switch type {
        case S_IFDIR:
            archive_entry_set_filetype(entry, AE_IFDIR)
        case S_IFLNK:
            archive_entry_set_filetype(entry, AE_IFLNK)
            archive_entry_set_symlink(entry, try readLink(dirFD, name, path: path, size: Int(st.st_size)))
        case S_IFIFO:
            archive_entry_set_filetype(entry, AE_IFIFO)
        case S_IFCHR, S_IFBLK:
            archive_entry_set_filetype(entry, type == S_IFCHR ? AE_IFCHR : AE_IFBLK)
            archive_entry_set_rdev(entry, dev_t(st.st_rdev))
        default:
            if let device = override?.type.flatMap(UpperWalker.device(from:)) {
                // A stand-in the store made for a device node it could not create.
                archive_entry_set_filetype(entry, device.type)
                archive_entry_set_rdevmajor(entry, dev_t(device.major))
                archive_entry_set_rdevminor(entry, dev_t(device.minor))
            } else if override?.type == "pipe" {
                archive_entry_set_filetype(entry, AE_IFIFO)
            } else {
                archive_entry_set_filetype(entry, AE_IFREG)
                let key = InodeKey(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))
                if st.st_nlink > 1, let first = linkTargets[key] {
                    archive_entry_set_hardlink(entry, first)
                    archive_entry_set_size(entry, 0)
                } else {
                    if st.st_nlink > 1 { linkTargets[key] = path }
                    archive_entry_set_size(entry, la_int64_t(st.st_size))
                    copyFrom = true
                }
            }
        }
        try stream.writeHeader(entry, path: path)
        if copyFrom {
            try copyContent(dirFD, name, path: path, size: Int64(st.st_size), st: st, dataSource: dataSource)
            contentSize += Int64(st.st_size)
        }
        entries += 1
    }

    /// `char-1-3` / `block-8-0` from override_stat.
    static func device(from text: String) -> (type: UInt32, major: UInt32, minor: UInt32)? {
        let f = text.split(separator: "-")
        guard f.count == 3, let ma = UInt32(f[1]), let mi = UInt32(f[2]) else { return nil }
        switch f[0] {
        case "char": return (AE_IFCHR, ma, mi)
        case "block": return (AE_IFBLK, ma, mi)
        default: return nil
        }
    }

    private func readLink(_ dirFD: Int32, _ name: String, path: String, size: Int) throws -> String {
        var target = [UInt8](repeating: 0, count: max(size, 255) + 1)
        let n = readlinkat(dirFD, name, &target, target.count)
        if n < 0 { throw StoreError.io("cannot read symlink", path: path, errno: errno) }
        return String(decoding: target[0..<n], as: UTF8.self)
    }

    /// Opens a file or folder of the upper, making one the user owns but
    /// cannot read (mode 000) readable for the moment it takes.
    private func openOwned(_ dirFD: Int32, _ name: String, flags: Int32, path: String, st: stat) throws -> Int32 {
        var fd = openat(dirFD, name, flags | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 && errno == EACCES && st.st_uid == getuid() {
            let wanted: mode_t = (st.st_mode & S_IFMT) == S_IFDIR ? 0o500 : 0o400
            fchmodat(dirFD, name, (st.st_mode & 0o7777) | wanted, 0)
            fd = openat(dirFD, name, flags | O_NOFOLLOW | O_CLOEXEC)
            fchmodat(dirFD, name, st.st_mode & 0o7777, 0)
        }
        if fd < 0 { throw StoreError.io("cannot open", path: path, errno: errno) }
        return fd
    }

    private func openDirectory(_ dirFD: Int32, _ name: String, path: String, st: stat) throws -> Int32 {
        try openOwned(dirFD, name, flags: O_RDONLY | O_DIRECTORY, path: path, st: st)
    }

    private func copyContent(_ dirFD: Int32, _ name: String, path: String, size: Int64, st: stat,
                             dataSource: [UInt8]?) throws {
        let fd: Int32
        if let dataSource {
            // A metadata-only copy: its data is still in the lower layer it names.
            guard let dataRoot else { throw StoreError.conflict("\(path) is a metadata-only copy whose data is in another layer") }
            fd = try StubData.openSource(dataSource, of: path, within: dataRoot)
        } else {
            fd = try openOwned(dirFD, name, flags: O_RDONLY, path: path, st: st)
        }
        defer { close(fd) }
        var left = size
        while left > 0 {
            let n = read(fd, buffer, Int(min(left, 1 << 17)))
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io("cannot read", path: path, errno: errno)
            }
            if n == 0 {
                throw StoreError.conflict("\(path) shrank while it was being committed; commit a layer no process is writing to")
            }
            try stream.writeData(UnsafeRawBufferPointer(start: buffer, count: n), path: path)
            left -= Int64(n)
        }
    }

    /// Every xattr of the file behind `path` (a /proc/self/fd link), in name order.
    private func readXattrs(_ path: String) -> [(String, [UInt8])] {
        var list = [CChar](repeating: 0, count: 1024)
        var n = listxattr(path, &list, list.count)
        if n < 0 && errno == ERANGE {
            let needed = listxattr(path, nil, 0)
            if needed > 0 { list = [CChar](repeating: 0, count: needed); n = listxattr(path, &list, list.count) }
        }
        guard n > 0 else { return [] }
        var result: [(String, [UInt8])] = []
        var start = 0
        for i in 0..<n where list[i] == 0 {
            let key = list[start..<i].withUnsafeBufferPointer { String(decoding: UnsafeRawBufferPointer($0), as: UTF8.self) }
            start = i + 1
            var size = getxattr(path, key, nil, 0)
            guard size >= 0 else { continue }
            var value = [UInt8](repeating: 0, count: size)
            size = getxattr(path, key, &value, value.count)
            guard size >= 0 else { continue }
            result.append((key, Array(value[0..<size])))
        }
        return result.sorted { $0.0 < $1.0 }
    }
}

/// Runs `body` with the folder open as `fd` readable and searchable when the
/// user owns it: a layer may hold a folder whose mode (0600, 0000) would keep
/// its owner from listing or reaching what it holds. The mode is put back after.
func whileSearchable(_ fd: Int32, _ st: stat, _ body: () throws -> Void) rethrows {
    let mode = st.st_mode & 0o7777
    // Through /proc: fchmod refuses an O_PATH descriptor.
    let proc = Whiteouts.procPath(fd)
    guard mode & 0o500 != 0o500, st.st_uid == getuid(), chmod(proc, mode | 0o500) == 0 else { return try body() }
    defer { chmod(proc, mode) }
    try body()
}
