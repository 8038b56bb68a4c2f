import CFuse3
import Glibc

/// Metadata-only copy-up. chmod, chown, utimens, setxattr, link and rename
/// of a lower file copy only its metadata: the upper gets a "stub", a
/// sparse file of the right size whose `user.hutch.datasource` xattr names
/// the lower file holding the data (its absolute path). Reads go there; the
/// first open for write (or truncate) copies the data in and drops the xattr.
///
/// The kernel overlay does not know this xattr (it would show the stub's
/// holes), so an upper with stubs is hutch-unionfs's own until committed:
/// the store's commit reads the data from the named file and its adoption
/// fills it in.
enum DataSource {
    static let xattrName = "user.hutch.datasource"
}

/// Where a stub's data lives: a lower layer and the path in it. `layer` is
/// -1 when the recorded path is in none of this mount's lower layers.
struct DataRef: Equatable {
    let layer: Int
    let path: String
}

/// The recorded data source of the file at `abs`, if it is a stub.
func readDataSource(_ abs: String) -> String? {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Int(PATH_MAX)) { buf in
        let n = lgetxattr(abs, DataSource.xattrName, buf.baseAddress, buf.count)
        guard n > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(rebasing: buf[0..<n]), as: UTF8.self)
    }
}

extension UnionFileSystem {
    /// Which lower layer a recorded data source is in. A path outside them
    /// (an upper from another mount, a forged xattr) is never opened.
    func locateDataSource(_ value: String) -> DataRef {
        var best: (layer: Int, length: Int)? = nil
        for l in layers.indices where !isUpper(l) {
            let prefix = layers[l].path + "/"
            if value.hasPrefix(prefix), prefix.utf8.count > best?.length ?? 0 { best = (l, prefix.utf8.count) }
        }
        guard let best else { return DataRef(layer: -1, path: value) }
        let rel = String(value.utf8.dropFirst(best.length))!
        if rel.isEmpty || rel.split(separator: "/").contains("..") { return DataRef(layer: -1, path: value) }
        return DataRef(layer: best.layer, path: rel)
    }

    /// A stub is made only for a file whose data the daemon's user can read
    /// without privileges and whose copy stays the daemon's on disk, so the
    /// store (running as the user on the host) can read and fill it later.
    func canCopyMetadataOnly(_ st: stat) -> Bool {
        st.st_mode & S_IFMT == S_IFREG && st.st_size > 0 && st.st_uid == ownUID && st.st_mode & S_IRUSR != 0
    }

    /// Turns the fresh workdir file `tmp` into a stub of `path` in `layer`.
    func writeStub(_ dst: Int32, tmp: String, size: off_t, layer: Int, path: String) throws(FSError) {
        try check(ftruncate(dst, size))
        let value = layers[layer].absolute(path)
        let r = value.withCString { lsetxattr(workAbsolute(tmp), DataSource.xattrName, $0, strlen($0), 0) }
        try check(r)
    }

    /// The data source an upper file records, re-read from disk (another
    /// name of a hard link may have filled it since the node learnt it).
    func currentDataSource(upperPath: String) -> DataRef? {
        readDataSource(layers[0].absolute(upperPath)).map(locateDataSource)
    }

    /// Opens a stub's data for reading.
    func openDataSource(_ ref: DataRef, flags: Int32) throws(FSError) -> Int32 {
        guard ref.layer >= 0 else { throw FSError(EIO) }
        let fd = openat(layers[ref.layer].fd, ref.path, (flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC)) | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 { throw errno == ENOENT ? FSError(EIO) : FSError.current }
        return fd
    }

    /// A stub's stat shows the blocks its data takes (as the kernel overlay's
    /// metacopy does), so `du` counts them.
    func addDataBlocks(_ st: inout stat, _ ref: DataRef) {
        guard ref.layer >= 0 else { return }
        var src = stat()
        if fstatat(layers[ref.layer].fd, ref.path, &src, AT_SYMLINK_NOFOLLOW) == 0 { st.st_blocks = src.st_blocks }
    }

    /// Copies a stub's data in (or, with `withData` false, empties it) and
    /// drops its xattr; owner, mode and times stay what they were. Every
    /// name of a hard-linked stub sees the data, since it is filled in
    /// place. Caller holds `mutation`.
    func fillData(_ node: Node, withData: Bool) throws(FSError) {
        let (path, known) = table.lock.locked { (table.pathLocked(node), node.dataSource) }
        guard known != nil else { return }
        guard let ref = currentDataSource(upperPath: path) else {
            table.lock.locked { node.dataSource = nil }
            return
        }
        try fillData(upperPath: path, ref: ref, withData: withData)
        table.lock.locked { node.dataSource = nil }
    }

    func fillData(upperPath path: String, ref: DataRef, withData: Bool) throws(FSError) {
        var st = stat()
        try check(fstatat(upperFD, path, &st, AT_SYMLINK_NOFOLLOW))
        var dst = openat(upperFD, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        var madeWritable = false
        if dst < 0 && errno == EACCES && st.st_uid == ownUID {
            // Our own read-only file (chmod 444): writable for the moment it takes.
            try check(fchmodat(upperFD, path, (st.st_mode & 0o7777) | S_IWUSR, 0))
            madeWritable = true
            dst = openat(upperFD, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        }
        if dst < 0 {
            let e = FSError.current
            if madeWritable { fchmodat(upperFD, path, st.st_mode & 0o7777, 0) }
            throw e
        }
        defer { close(dst) }
        do throws(FSError) {
            if withData {
                let src = try openDataSource(ref, flags: O_RDONLY)
                defer { close(src) }
                var sst = stat()
                try check(fstat(src, &sst))
                try copyData(from: src, to: dst, size: sst.st_size)
            } else {
                try check(ftruncate(dst, 0))
            }
            if lremovexattr(layers[0].absolute(path), DataSource.xattrName) != 0 && errno != ENODATA {
                throw FSError.current
            }
        } catch {
            if madeWritable { fchmod(dst, st.st_mode & 0o7777) }
            throw error
        }
        // Writing clears setuid bits; the file is to look as it did.
        fchmod(dst, st.st_mode & 0o7777)
        var times = [st.st_atim, st.st_mtim]
        futimens(dst, &times)
    }
}

// MARK: filling the stubs in when the mount ends

extension UnionFileSystem {
    /// Remembers a stub of this upper (by inode) to fill in when the mount ends.
    func noteStub(upperIno: UInt64) {
        guard !options.keepStubs else { return }
        inoLock.locked { _ = stubInodes.insert(upperIno) }
    }

    /// Copies the data into every stub this mount made or saw, so whatever
    /// reads the upper next (another union filesystem, a layer committer
    /// that does not know the xattr) sees whole files. Skipped with
    /// `keep_stubs`. Holds `mutation` throughout, so a second caller waits
    /// and finds nothing left to do.
    func fillStubs() {
        mutation.locked {
            var wanted = inoLock.locked { () -> Set<UInt64> in
                let s = stubInodes
                stubInodes.removeAll()
                return s
            }
            guard !wanted.isEmpty else { return }
            fillStubs(under: ".", wanted: &wanted)
        }
    }

    private func fillStubs(under dir: String, wanted: inout Set<UInt64>) {
        let fd = openat(upperFD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0, let stream = fdopendir(fd) else { if fd >= 0 { close(fd) }; return }
        var subdirs: [String] = [], files: [String] = []
        while let e = readdir(stream) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name == "." || name == ".." { continue }
            let path = dir == "." ? name : dir + "/" + name
            switch Int32(e.pointee.d_type) {
            case Int32(DT_DIR): subdirs.append(path)
            case Int32(DT_REG): if wanted.contains(UInt64(e.pointee.d_ino)) { files.append(path) }
            case Int32(DT_UNKNOWN):
                var st = stat()
                guard fstatat(upperFD, path, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                if isDir(st.st_mode) { subdirs.append(path) }
                else if st.st_mode & S_IFMT == S_IFREG && wanted.contains(UInt64(st.st_ino)) { files.append(path) }
            default: break
            }
        }
        closedir(stream)
        for path in files {
            var st = stat()
            guard fstatat(upperFD, path, &st, AT_SYMLINK_NOFOLLOW) == 0, wanted.remove(UInt64(st.st_ino)) != nil else { continue }
            // Filled already (by a write), or gone: nothing to do.
            guard let ref = currentDataSource(upperPath: path) else { continue }
            do { try fillData(upperPath: path, ref: ref, withData: true) } catch {
                fputs("hutch-unionfs: cannot fill in the data of \(path) (it stays a metadata-only copy): \(error)\n", stderr)
            }
        }
        for sub in subdirs where !wanted.isEmpty { fillStubs(under: sub, wanted: &wanted) }
    }
}
