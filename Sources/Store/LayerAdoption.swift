import Foundation
import OCI
import CArchive
#if canImport(Glibc)
import Glibc
#endif

extension LayerStore {
    /// Makes a just-committed upper directory the unpacked layer
    /// `committed.diffID`, by moving it (no second unpack). The upper must
    /// be on the store's filesystem and no longer mounted; on success it is
    /// gone from `upper`. When the layer is already present, the upper is
    /// left where it is (the caller removes it).
    ///
    /// On the way in, overlay's bookkeeping becomes the store's format:
    /// 0/0 character-device whiteouts become xattr whiteouts, and overlay
    /// xattrs other than whiteout/opaque are dropped. An upper written with
    /// `metacopy` or `redirect_dir` (files whose data or name live in a
    /// lower layer) is refused: unpack the committed blob instead.
    /// hutch-unionfs's metadata-only copies get their data copied in from
    /// the store layer they name (`StubData`).
    ///
    /// - ownership: how owners are kept in the upper; nil decides from the
    ///   files: `.xattr` when the caller owns them all, else `.chown`.
    @discardableResult
    public func adopt(upper: String, committed: CommittedLayer, ownership: OwnershipMode? = nil) throws -> LayerRecord {
        if let r = record(committed.diffID) { return r }
        guard let lock = storeLock else { throw StoreError.io("layer store opened without its lock:", path: directory, errno: EINVAL) }
        let staging = try makeStaging()
        defer { staging.release() }
        let diff = staging.path + "/diff"
        if rename(upper, diff) != 0 {
            let e = errno
            if e == EXDEV {
                throw StoreError.unsupportedFilesystem(
                    "cannot adopt \(upper): it is not on the store's filesystem (\(directory)); unpack the committed blob instead")
            }
            throw StoreError.io("cannot move upper folder", path: upper, errno: e)
        }
        let mode: OwnershipMode
        do {
            let normalizer = UpperNormalizer(dataRoot: directory)
            try normalizer.normalize(root: diff)
            mode = ownership ?? (normalizer.foreignOwners ? .chown : .xattr)
            if mode == .xattr && Whiteouts.get(Whiteouts.overrideStatXattr, path: diff) == nil {
                // As after an unpack: fuse-overlayfs reads the root's xattr to use override_stat.
                let fd = open(diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                if fd >= 0 {
                    defer { close(fd) }
                    var st = stat()
                    fstat(fd, &st)
                    try Whiteouts.setOverrideStat(.init(uid: 0, gid: 0, mode: UInt32(st.st_mode & 0o7777)), fd: fd)
                }
            }
        } catch {
            rename(diff, upper)   // give the caller back what it handed over
            throw error
        }
        let record = LayerRecord(diffID: committed.diffID, size: committed.contentSize, entries: committed.entries,
                                 ownership: mode.rawValue, created: Date())
        try AtomicFile.write(try JSONEncoder.store.encode(record), to: staging.path + "/layer.json", syncDirectory: false)
        try lock.withLock {
            if contains(committed.diffID) { return }
            let target = folder(for: committed.diffID)
            if access(target, F_OK) == 0 { try removeTree(target) }
            try check(rename(staging.path, target), "cannot move layer into", target)
            staging.moved = true
            try AtomicFile.syncDir(directory)
        }
        return self.record(committed.diffID) ?? record
    }
}

/// Rewrites an overlay upper in place into the store's layer format.
final class UpperNormalizer {
    private(set) var foreignOwners = false
    private let me = getuid()
    /// Where hutch-unionfs's metadata-only copies may take their data from.
    private let dataRoot: String?

    init(dataRoot: String? = nil) { self.dataRoot = dataRoot }

    func normalize(root: String) throws {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw StoreError.io("cannot open", path: root, errno: errno) }
        defer { close(fd) }
        try dropBookkeeping(fd: fd, path: root)
        try walk(fd, path: root)
    }

    private func walk(_ dirFD: Int32, path: String) throws {
        guard let names = entryNames(ofDirectory: dirFD) else { throw StoreError.io("cannot read folder", path: path, errno: errno) }
        for name in names {
            var st = stat()
            guard fstatat(dirFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            if st.st_uid != me || st.st_gid != getgid() { foreignOwners = true }
            let type = st.st_mode & S_IFMT
            if type == S_IFCHR && st.st_rdev == 0 {
                try check(unlinkat(dirFD, name, 0), "cannot convert whiteout", path + "/" + name)
                try Whiteouts.makeWhiteout(named: name, inDirectory: dirFD)
                continue
            }
            guard type == S_IFDIR || type == S_IFREG else { continue }
            // O_PATH, so a folder of mode 0000 opens too; whileSearchable lets us into it.
            let fd = openat(dirFD, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)
            if fd < 0 { throw StoreError.io("cannot open", path: path + "/" + name, errno: errno) }
            defer { close(fd) }
            if try dropBookkeeping(fd: fd, path: path + "/" + name), type == S_IFREG {
                // A metadata-only copy: the layer outlives the one its data is in, so copy it in now.
                guard let dataRoot, let source = StubData.source(Whiteouts.procPath(fd)) else {
                    throw StoreError.unsupportedFilesystem("\(path)/\(name) is a metadata-only copy; unpack the committed blob instead")
                }
                try StubData.fill(dirFD: dirFD, name: name, path: path + "/" + name, source: source, within: dataRoot)
            }
            if type == S_IFDIR {
                try whileSearchable(fd, st) {
                    let dir = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                    if dir < 0 { throw StoreError.io("cannot open", path: path + "/" + name, errno: errno) }
                    defer { close(dir) }
                    try walk(dir, path: path + "/" + name)
                }
            }
        }
    }

    /// Overlay xattrs that only mean something to the mount that wrote them.
    /// Returns whether the file is a hutch-unionfs metadata-only copy.
    @discardableResult
    private func dropBookkeeping(fd: Int32, path: String) throws -> Bool {
        let proc = Whiteouts.procPath(fd)
        var list = [CChar](repeating: 0, count: 4096)
        let n = listxattr(proc, &list, list.count)
        guard n > 0 else { return false }
        var stub = false
        var start = 0
        for i in 0..<n where list[i] == 0 {
            let key = list[start..<i].withUnsafeBufferPointer { String(decoding: UnsafeRawBufferPointer($0), as: UTF8.self) }
            start = i + 1
            if key == StubData.xattrName { stub = true }
            guard key.hasPrefix("user.overlay.") else { continue }
            switch key {
            case Whiteouts.whiteoutXattr, Whiteouts.parentWhiteoutsXattr, Whiteouts.opaqueXattr: continue
            case "user.overlay.metacopy", "user.overlay.redirect":
                throw StoreError.unsupportedFilesystem(
                    "\(path) has \(key): its content lives in a lower layer; unpack the committed blob instead")
            default:
                if removexattr(proc, key) != 0 && errno != ENODATA {
                    throw StoreError.io("cannot remove \(key) from", path: path, errno: errno)
                }
            }
        }
        return stub
    }
}

/// The names in the folder open as `dirFD` (without . and ..), read through
/// a descriptor of its own so `dirFD` stays usable; nil when it cannot be read.
func entryNames(ofDirectory dirFD: Int32) -> [String]? {
    let copy = openat(dirFD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard copy >= 0, let dir = fdopendir(copy) else { return nil }
    defer { closedir(dir) }
    var names: [String] = []
    while let e = readdir(dir) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}
