import CFuse3
import Glibc

/// Copy-up: bringing a lower file or directory into the upper layer before
/// it changes. Every method here expects the caller to hold `mutation`.
extension UnionFileSystem {
    /// Makes sure a directory exists in the upper, its parents first.
    func copyUpDirectory(_ dir: Node) throws(FSError) {
        guard hasUpper else { throw FSError(EROFS) }
        let (inUpper, parent, path, layer) = table.lock.locked {
            (isUpper(dir.layer), dir.parent, table.pathLocked(dir), dir.layer)
        }
        if inUpper { return }
        if let parent { try copyUpDirectory(parent) }
        var st = stat()
        try check(fstatat(layers[layer].fd, path, &st, AT_SYMLINK_NOFOLLOW))
        // Built in the workdir and renamed in, so a crash leaves no half-copied directory.
        let tmp = tempName()
        try check(mkdirat(workFD, tmp, st.st_mode & 0o7777))
        copyMetadata(from: layers[layer].absolute(path), st, toWorkName: tmp, isLink: false)
        if renameat(workFD, tmp, upperFD, path) != 0 {
            let e = errno
            unlinkat(workFD, tmp, AT_REMOVEDIR)
            if e != EEXIST && e != ENOTEMPTY { throw FSError(e) }
        }
        var ust = stat()
        if fstatat(upperFD, path, &ust, AT_SYMLINK_NOFOLLOW) == 0 { recordOrigin(upperIno: UInt64(ust.st_ino), shown: dir.ino) }
        table.lock.locked {
            dir.layer = 0
            if dir.dirLayers.first != 0 { dir.dirLayers.insert(0, at: 0) }
        }
    }

    /// Makes sure a non-directory exists in the upper. With `withData`
    /// false (an O_TRUNC open) the copy starts empty; with `metaOnly` a
    /// regular file may become a stub whose data stays below (MetaCopy.swift).
    func copyUp(_ node: Node, withData: Bool = true, metaOnly: Bool = false) throws(FSError) {
        guard hasUpper else { throw FSError(EROFS) }
        if node.isDirectory { return try copyUpDirectory(node) }
        let (inUpper, parent, path, layer) = table.lock.locked {
            (isUpper(node.layer), node.parent, table.pathLocked(node), node.layer)
        }
        if inUpper { return }
        if node.unlinked { throw FSError(ENOENT) }
        if let parent { try copyUpDirectory(parent) }
        let source = try copyUpFile(path: path, layer: layer, shownIno: node.ino, withData: withData, metaOnly: metaOnly)
        table.lock.locked { node.layer = 0; node.dataSource = source }
    }

    /// Copies one non-directory at `path` from `layer` to the same path in
    /// the upper (whose parent exists), through the workdir. Returns where
    /// the data lives when the copy is a stub.
    @discardableResult
    func copyUpFile(path: String, layer: Int, shownIno: UInt64, withData: Bool, metaOnly: Bool) throws(FSError) -> DataRef? {
        var st = stat()
        try check(fstatat(layers[layer].fd, path, &st, AT_SYMLINK_NOFOLLOW))
        let key = HardLinkKey(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))
        // A hard link whose other name was copied up already: link to that copy.
        if st.st_nlink > 1, let copy = linkedCopy(key) {
            var cst = stat()
            if fstatat(upperFD, copy.path, &cst, AT_SYMLINK_NOFOLLOW) == 0, UInt64(cst.st_ino) == copy.ino,
               linkat(upperFD, copy.path, upperFD, path, 0) == 0 {
                if !metaOnly, let source = currentDataSource(upperPath: path) {
                    try fillData(upperPath: path, ref: source, withData: withData)
                    return nil
                }
                return currentDataSource(upperPath: path)
            }
        }
        let tmp = tempName()
        var source: DataRef? = nil
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            let dst = openat(workFD, tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            if dst < 0 { throw FSError.current }
            defer { close(dst) }
            if withData && metaOnly && canCopyMetadataOnly(st) {
                do throws(FSError) { try writeStub(dst, tmp: tmp, size: st.st_size, layer: layer, path: path) } catch {
                    unlinkat(workFD, tmp, 0); throw error
                }
                source = DataRef(layer: layer, path: path)
            } else if withData && st.st_size > 0 {
                let src = openat(layers[layer].fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
                if src < 0 { let e = FSError.current; unlinkat(workFD, tmp, 0); throw e }
                defer { close(src) }
                do throws(FSError) { try copyData(from: src, to: dst, size: st.st_size) } catch {
                    unlinkat(workFD, tmp, 0); throw error
                }
            }
        case S_IFLNK:
            var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlinkat(layers[layer].fd, path, &buf, Int(PATH_MAX))
            if n < 0 { throw FSError.current }
            buf[n] = 0
            try check(symlinkat(buf, workFD, tmp))
        default:
            try check(mknodat(workFD, tmp, st.st_mode, st.st_rdev))
        }
        copyMetadata(from: layers[layer].absolute(path), st, toWorkName: tmp, isLink: st.st_mode & S_IFMT == S_IFLNK)
        if renameat(workFD, tmp, upperFD, path) != 0 {
            let e = FSError.current
            unlinkat(workFD, tmp, 0)
            throw e
        }
        var ust = stat()
        if fstatat(upperFD, path, &ust, AT_SYMLINK_NOFOLLOW) == 0 {
            recordOrigin(upperIno: UInt64(ust.st_ino), shown: shownIno)
            if st.st_nlink > 1 { recordLinkedCopy(key, path: path, ino: UInt64(ust.st_ino)) }
            if source != nil { noteStub(upperIno: UInt64(ust.st_ino)) }
        }
        return source
    }

    /// Copies file data keeping holes: a reflink when the filesystem can,
    /// else each data extent with copy_file_range (sendfile, then read/write
    /// as fallbacks).
    func copyData(from src: Int32, to dst: Int32, size: off_t) throws(FSError) {
        if hutch_ficlone(dst, src) == 0 { return }
        var offset: off_t = 0
        while offset < size {
            var start = lseek(src, offset, HUTCH_SEEK_DATA)
            if start < 0 {
                if errno == ENXIO { break }
                start = offset  // no HUTCH_SEEK_DATA here: copy everything
            }
            var end = lseek(src, start, HUTCH_SEEK_HOLE)
            if end < 0 || end > size { end = size }
            try copyRange(src, dst, start, end - start)
            offset = end
        }
        try check(ftruncate(dst, size))
    }

    private func copyRange(_ src: Int32, _ dst: Int32, _ start: off_t, _ length: off_t) throws(FSError) {
        var inOff = start, outOff = start, left = length
        while left > 0 {
            let n = hutch_copy_file_range(src, &inOff, dst, &outOff, Int(min(left, 1 << 30)))
            if n > 0 { left -= off_t(n); continue }
            if n == 0 { break }
            let e = errno
            if e == EINTR { continue }
            if e != EXDEV && e != EINVAL && e != ENOSYS && e != EOPNOTSUPP { throw FSError(e) }
            try slowCopy(src, dst, inOff, left)
            return
        }
    }

    private func slowCopy(_ src: Int32, _ dst: Int32, _ start: off_t, _ length: off_t) throws(FSError) {
        var off = start, left = length
        if lseek(dst, start, SEEK_SET) >= 0 {
            while left > 0 {
                let n = sendfile(dst, src, &off, Int(min(left, 1 << 30)))
                if n > 0 { left -= off_t(n); continue }
                if n == 0 || (errno != EINTR && errno != EINVAL && errno != ENOSYS) { break }
                if errno != EINTR { break }
            }
        }
        guard left > 0 else { return }
        let buf = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { buf.deallocate() }
        while left > 0 {
            let n = pread(src, buf, Int(min(left, 1 << 20)), off)
            if n < 0 { if errno == EINTR { continue }; throw FSError.current }
            if n == 0 { break }
            var done = 0
            while done < n {
                let w = pwrite(dst, buf + done, n - done, off + off_t(done))
                if w < 0 { if errno == EINTR { continue }; throw FSError.current }
                done += w
            }
            off += off_t(n); left -= off_t(n)
        }
    }

    /// Owner, mode, xattrs and times of a copied-up entry in the workdir.
    func copyMetadata(from srcAbs: String, _ st: stat, toWorkName tmp: String, isLink: Bool) {
        var hasOverride = false
        if !isLink { hasOverride = copyXattrs(from: srcAbs, toWorkName: tmp) }
        if st.st_uid != ownUID || st.st_gid != ownGID {
            if (options.xattrOwners || fchownat(workFD, tmp, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0)
                && !hasOverride && !isLink {
                // The id is not ours to give: keep it visible through the override.
                let ov = OwnershipOverride(uid: st.st_uid, gid: st.st_gid, mode: st.st_mode)
                let abs = workAbsolute(tmp)
                _ = writeOverride(abs, ov, type: st.st_mode)
            }
        }
        if !isLink { fchmodat(workFD, tmp, st.st_mode & 0o7777, 0) }
        var times = [st.st_atim, st.st_mtim]
        utimensat(workFD, tmp, &times, AT_SYMLINK_NOFOLLOW)
    }

    func workAbsolute(_ tmp: String) -> String { (options.work ?? "") + "/work/" + tmp }

    /// Copies user-visible xattrs; returns whether an ownership override came along.
    private func copyXattrs(from srcAbs: String, toWorkName tmp: String) -> Bool {
        let size = llistxattr(srcAbs, nil, 0)
        guard size > 0 else { return false }
        var names = [CChar](repeating: 0, count: size)
        let n = llistxattr(srcAbs, &names, size)
        guard n > 0 else { return false }
        let dst = workAbsolute(tmp)
        var sawOverride = false
        var value = [UInt8](repeating: 0, count: 65536)
        names.withUnsafeBufferPointer { buf in
            var i = 0
            while i < n {
                let name = buf.baseAddress! + i
                i += strlen(name) + 1
                if isPrivateXattr(name) { continue }
                let len = lgetxattr(srcAbs, name, &value, value.count)
                if len < 0 { continue }
                if lsetxattr(dst, name, value, len, 0) == 0, strcmp(name, OwnershipOverride.xattrName) == 0 {
                    sawOverride = true
                }
            }
        }
        return sawOverride
    }

    /// Brings a directory's whole merged subtree into the upper, so it can
    /// be renamed as one upper directory (the kernel overlay answers EXDEV
    /// here without redirect_dir; programs should not have to care).
    func materialize(_ dir: Node) throws(FSError) {
        try copyUpDirectory(dir)
        let (path, search) = table.lock.locked { (table.pathLocked(dir), dir.dirLayers) }
        guard search.count > 1 else { return }
        try materialize(path: path, search: search)
        // Everything is in the upper now: nothing below may show through.
        _ = lsetxattr(layers[0].absolute(path), "user.overlay.opaque", "y", 1, 0)
        // Files the kernel holds below may have become stubs.
        for file in table.markSubtreeUpper(dir) {
            let p = table.path(file)
            let source = file.type == S_IFREG ? currentDataSource(upperPath: p) : nil
            table.lock.locked { file.dataSource = source }
        }
    }

    private func materialize(path: String, search: [Int]) throws(FSError) {
        let entries = try mergedEntries(path: path, search: search)
        for e in entries where !isUpper(e.layer) || e.type == UInt8(DT_DIR) {
            let child = path == "." ? e.name : path + "/" + e.name
            let f = try resolve(child, among: search)
            if isDir(f.st.st_mode) {
                if !isUpper(f.layer) {
                    let tmp = tempName()
                    try check(mkdirat(workFD, tmp, f.st.st_mode & 0o7777))
                    copyMetadata(from: layers[f.layer].absolute(child), f.st, toWorkName: tmp, isLink: false)
                    try check(renameat(workFD, tmp, upperFD, child))
                }
                if f.dirLayers.count > 1 || !isUpper(f.layer) {
                    try materialize(path: child, search: f.dirLayers)
                    _ = lsetxattr(layers[0].absolute(child), "user.overlay.opaque", "y", 1, 0)
                }
            } else if !isUpper(f.layer) {
                try copyUpFile(path: child, layer: f.layer, shownIno: self.shownIno(f.st, layer: f.layer), withData: true,
                               metaOnly: true)
            }
        }
    }
}
