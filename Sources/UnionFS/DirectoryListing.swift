import CFuse3
import Glibc

/// One entry of a merged directory listing.
struct MergedEntry {
    let name: String
    let type: UInt8
    let ino: UInt64
    let layer: Int
}

/// An open directory: its merged listing, taken at opendir and served by
/// offset (index + 1) so concurrent changes cannot make readdir skip names.
final class DirectoryHandle {
    let node: Node
    var entries: [MergedEntry] = []
    init(node: Node) { self.node = node }
}

extension UnionFileSystem {
    /// The visible entries of the directory at `path`, merged over `search`
    /// top first: a name seen above (whiteouts included) hides the same name below.
    func mergedEntries(path: String, search: [Int]) throws(FSError) -> [MergedEntry] {
        var out: [MergedEntry] = []
        var seen = Set<String>()
        let single = search.count == 1
        for (k, l) in search.enumerated() {
            let fd = openat(layers[l].fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd < 0 {
                if errno == ENOENT || errno == ENOTDIR { continue }
                throw FSError.current
            }
            guard let dir = fdopendir(fd) else { close(fd); throw FSError.current }
            defer { closedir(dir) }
            let last = k == search.count - 1
            // Directories holding xattr-form whiteouts are marked so by the
            // store, so ordinary directories never stat their regular files.
            let xattrWhiteouts = fgetxattr(dirfd(dir), "user.overlay.whiteouts", nil, 0) >= 0
            while let ent = readdir(dir) {
                let name = withUnsafePointer(to: &ent.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if name == "." || name == ".." { continue }
                if !single && seen.contains(name) { continue }
                var type = ent.pointee.d_type
                if xattrWhiteouts && type == UInt8(DT_REG) {
                    var st = stat()
                    if fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_size == 0
                        && xattrWhiteout(at: dirfd(dir), name) {
                        if !last { seen.insert(name) }
                        continue
                    }
                }
                if type == UInt8(DT_CHR) || type == UInt8(DT_UNKNOWN) {
                    var st = stat()
                    if fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) == 0 {
                        if isWhiteout(st) { if !last { seen.insert(name) }; continue }
                        type = direntType(st.st_mode)
                    }
                }
                if !single && !last { seen.insert(name) }
                out.append(MergedEntry(name: name, type: type, ino: UInt64(ent.pointee.d_ino), layer: l))
            }
        }
        return out
    }

    /// What readdir shows: "." and "..", then the merged entries.
    func listing(_ node: Node) throws(FSError) -> [MergedEntry] {
        let (path, search) = table.lock.locked { (table.pathLocked(node), node.dirLayers) }
        if node.unlinked { throw FSError(ENOENT) }
        var entries = [MergedEntry(name: ".", type: UInt8(DT_DIR), ino: node.ino, layer: 0),
                       MergedEntry(name: "..", type: UInt8(DT_DIR), ino: 0, layer: 0)]
        entries += try mergedEntries(path: path, search: search)
        return entries
    }

    /// Whether a directory shows no entries (whiteouts do not count).
    func isEmptyDirectory(path: String, search: [Int]) throws(FSError) -> Bool {
        try mergedEntries(path: path, search: search).isEmpty
    }

    /// Removes the whiteouts an upper directory holds (the only entries a
    /// visibly empty upper directory may have), so rmdir or rename can replace it.
    func clearWhiteouts(fd dirFD: Int32, path: String) throws(FSError) {
        let fd = openat(dirFD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw FSError.current }
        guard let dir = fdopendir(fd) else { close(fd); throw FSError.current }
        defer { closedir(dir) }
        while let ent = readdir(dir) {
            let isDot = withUnsafePointer(to: &ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { strcmp($0, ".") == 0 || strcmp($0, "..") == 0 }
            }
            if isDot { continue }
            let r = withUnsafePointer(to: &ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { unlinkat(dirfd(dir), $0, 0) }
            }
            if r != 0 { throw FSError.current }
        }
    }

    /// Removes a directory tree in the workdir (a replaced upper directory).
    func removeWorkTree(_ name: String) {
        let fd = openat(workFD, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
        if fd >= 0, let dir = fdopendir(fd) {
            var names: [String] = []
            while let ent = readdir(dir) {
                let n = withUnsafePointer(to: &ent.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if n != "." && n != ".." { names.append(n) }
            }
            closedir(dir)
            for n in names {
                let sub = name + "/" + n
                if unlinkat(workFD, sub, 0) != 0 && (errno == EISDIR || errno == EPERM) { removeWorkTree(sub) }
            }
        }
        unlinkat(workFD, name, AT_REMOVEDIR)
    }
}

@inline(__always)
func direntType(_ mode: mode_t) -> UInt8 {
    switch mode & S_IFMT {
    case S_IFDIR: return UInt8(DT_DIR)
    case S_IFREG: return UInt8(DT_REG)
    case S_IFLNK: return UInt8(DT_LNK)
    case S_IFCHR: return UInt8(DT_CHR)
    case S_IFBLK: return UInt8(DT_BLK)
    case S_IFIFO: return UInt8(DT_FIFO)
    case S_IFSOCK: return UInt8(DT_SOCK)
    default: return UInt8(DT_UNKNOWN)
    }
}
