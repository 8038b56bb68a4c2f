import CFuse3
import Glibc

/// Opening files and changing attributes: the places where a lower file
/// is copied up.
extension UnionFileSystem {
    /// Opens a file; returns the descriptor and whether it lives in a lower layer.
    func open(_ node: Node, flags: Int32) throws(FSError) -> Int32 {
        let writes = flags & O_ACCMODE != O_RDONLY || flags & O_TRUNC != 0
        if writes {
            if !hasUpper { throw FSError(EROFS) }
            let (layer, stub) = table.lock.locked { (node.layer, node.dataSource != nil) }
            if !isUpper(layer) {
                try mutation.locked { () throws(FSError) in try copyUp(node, withData: flags & O_TRUNC == 0) }
            } else if stub {
                try mutation.locked { () throws(FSError) in try fillData(node, withData: flags & O_TRUNC == 0) }
            }
        }
        let (path, layer, stub) = table.lock.locked { (table.pathLocked(node), node.layer, node.dataSource != nil) }
        if node.unlinked { throw FSError(ENOENT) }
        if stub && !writes {
            if let source = currentDataSource(upperPath: path) { return try openDataSource(source, flags: flags) }
            table.lock.locked { node.dataSource = nil }
        }
        let fd = openat(layers[layer].fd, path, (flags & ~(O_CREAT | O_EXCL | O_NOCTTY)) | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 { throw FSError.current }
        return fd
    }

    func readlink(_ node: Node) throws(FSError) -> [CChar] {
        let (path, layer) = table.lock.locked { (table.pathLocked(node), node.layer) }
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlinkat(layers[layer].fd, path, &buf, Int(PATH_MAX))
        if n < 0 { throw FSError.current }
        buf[n] = 0
        return buf
    }

    /// chmod, chown, truncate, utimens. Ownership the kernel cannot write
    /// (ids we may not give) goes to the override xattr.
    func setattr(_ node: Node, _ attr: stat, _ toSet: Int32, fd: Int32?) throws(FSError) -> stat {
        if let unchanged = try unchangedBySetattr(node, attr, toSet, fd: fd) { return unchanged }
        try mutation.locked { () throws(FSError) in
            guard hasUpper else { throw FSError(EROFS) }
            let resizes = toSet & FUSE_SET_ATTR_SIZE != 0
            let truncatesToZero = resizes && attr.st_size == 0
            try copyUp(node, withData: !truncatesToZero, metaOnly: !resizes)
            if resizes { try fillData(node, withData: !truncatesToZero) }
            var (path, override, stub) = table.lock.locked { (table.pathLocked(node), node.override, node.dataSource != nil) }
            let abs = layers[0].absolute(path)
            var raw = stat()
            // A stub's descriptor is its data's, in a lower layer.
            if let fd, !stub { try check(fstat(fd, &raw)) } else { try check(fstatat(upperFD, path, &raw, AT_SYMLINK_NOFOLLOW)) }
            var current = override

            if toSet & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID) != 0 {
                let shownNow = shown(raw, ino: node.ino, override: override, merged: false)
                // An id left as it is keeps its recorded value, not the one shown for it.
                let kept = current.map { (options.uidMapping.toContainer($0.uid), options.gidMapping.toContainer($0.gid)) }
                let uid = toSet & FUSE_SET_ATTR_UID != 0 ? attr.st_uid : kept?.0 ?? shownNow.st_uid
                let gid = toSet & FUSE_SET_ATTR_GID != 0 ? attr.st_gid : kept?.1 ?? shownNow.st_gid
                let hostUID = options.uidMapping.toHost(uid), hostGID = options.gidMapping.toHost(gid)
                var done = false
                if current == nil, let hu = hostUID, let hg = hostGID,
                   !options.xattrOwners || (hu == ownUID && hg == ownGID && (uid, gid) == recordFreeOwner) {
                    if stub && hu != ownUID {
                        // A stub must stay ours on disk: the store fills it later as the user.
                        try fillData(node, withData: true)
                        stub = false
                    }
                    done = fchownat(upperFD, path, hu, hg, AT_SYMLINK_NOFOLLOW) == 0
                }
                if !done {
                    if node.type == S_IFLNK { throw FSError(EPERM) }
                    current = OwnershipOverride(uid: hostUID ?? uid, gid: hostGID ?? gid,
                                                mode: current?.mode ?? raw.st_mode)
                }
            }
            if toSet & FUSE_SET_ATTR_MODE != 0 {
                if current != nil { current!.mode = attr.st_mode & 0o7777 }
                if node.type != S_IFLNK { try check(fchmodat(upperFD, path, attr.st_mode & 0o7777, 0)) }
            }
            if let c = current, c != override {
                if writeOverride(abs, c, type: node.type) != 0 { throw FSError.current }
                table.lock.locked { node.override = c }
            }
            if toSet & FUSE_SET_ATTR_SIZE != 0 {
                if let fd, ftruncate(fd, attr.st_size) == 0 {
                } else {
                    let wfd = openat(upperFD, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
                    if wfd < 0 { throw FSError.current }
                    defer { close(wfd) }
                    try check(ftruncate(wfd, attr.st_size))
                }
            }
            if toSet & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME) != 0 {
                var times = [timespec(tv_sec: 0, tv_nsec: HUTCH_UTIME_OMIT), timespec(tv_sec: 0, tv_nsec: HUTCH_UTIME_OMIT)]
                if toSet & FUSE_SET_ATTR_ATIME_NOW != 0 { times[0].tv_nsec = HUTCH_UTIME_NOW }
                else if toSet & FUSE_SET_ATTR_ATIME != 0 { times[0] = attr.st_atim }
                if toSet & FUSE_SET_ATTR_MTIME_NOW != 0 { times[1].tv_nsec = HUTCH_UTIME_NOW }
                else if toSet & FUSE_SET_ATTR_MTIME != 0 { times[1] = attr.st_mtim }
                try check(utimensat(upperFD, path, &times, AT_SYMLINK_NOFOLLOW))
            }
        }
        return try getattr(node, fd: fd)
    }

    /// The current stat when a chown or chmod asks for what the file
    /// already shows: `chown -R root:root` over an image's tree must not copy
    /// every file up. (A chown that must clear setuid bits comes with a mode
    /// change and is carried out.)
    private func unchangedBySetattr(_ node: Node, _ attr: stat, _ toSet: Int32, fd: Int32?) throws(FSError) -> stat? {
        let owner = FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID, mode = FUSE_SET_ATTR_MODE
        let others = toSet & ~(owner | mode | FUSE_SET_ATTR_CTIME)
        guard others == 0, toSet & (owner | mode) != 0 else { return nil }
        let st = try getattr(node, fd: fd)
        if toSet & FUSE_SET_ATTR_UID != 0 && attr.st_uid != st.st_uid { return nil }
        if toSet & FUSE_SET_ATTR_GID != 0 && attr.st_gid != st.st_gid { return nil }
        if toSet & mode != 0 && (attr.st_mode & 0o7777) != (st.st_mode & 0o7777) { return nil }
        return st
    }

    // MARK: xattrs

    /// getxattr: size 0 asks for the length. security.* names on a file that
    /// has none are answered from what lookup saw, without touching the disk.
    func getxattr(_ node: Node, _ name: UnsafePointer<CChar>, into buf: UnsafeMutableRawPointer?, size: Int) throws(FSError) -> Int {
        if isPrivateXattr(name) || strcmp(name, OwnershipOverride.xattrName) == 0 { throw FSError(ENODATA) }
        let (path, layer, hasSecurity) = table.lock.locked { (table.pathLocked(node), node.layer, node.hasSecurityXattrs) }
        if !hasSecurity && strncmp(name, "security.", 9) == 0 { throw FSError(ENODATA) }
        let n = lgetxattr(layers[layer].absolute(path), name, buf, size)
        if n < 0 { throw FSError.current }
        return n
    }

    func listxattr(_ node: Node) throws(FSError) -> [CChar] {
        let (path, layer) = table.lock.locked { (table.pathLocked(node), node.layer) }
        let abs = layers[layer].absolute(path)
        var size = llistxattr(abs, nil, 0)
        if size < 0 { throw FSError.current }
        var names = [CChar](repeating: 0, count: size)
        size = llistxattr(abs, &names, size)
        if size < 0 { throw FSError.current }
        var out: [CChar] = []
        out.reserveCapacity(size)
        names.withUnsafeBufferPointer { b in
            var i = 0
            while i < size {
                let p = b.baseAddress! + i
                let len = strlen(p)
                if !isPrivateXattr(p) && strcmp(p, OwnershipOverride.xattrName) != 0 {
                    out.append(contentsOf: UnsafeBufferPointer(start: p, count: len + 1))
                }
                i += len + 1
            }
        }
        return out
    }

    func setxattr(_ node: Node, _ name: UnsafePointer<CChar>, _ value: UnsafePointer<CChar>?, size: Int, flags: Int32) throws(FSError) {
        if isPrivateXattr(name) || strcmp(name, OwnershipOverride.xattrName) == 0 { throw FSError(EPERM) }
        try mutation.locked { () throws(FSError) in
            guard hasUpper else { throw FSError(EROFS) }
            try copyUp(node, metaOnly: true)
            let path = table.path(node)
            try check(lsetxattr(layers[0].absolute(path), name, value, size, flags))
            if strncmp(name, "security.", 9) == 0 { table.lock.locked { node.hasSecurityXattrs = true } }
        }
    }

    func removexattr(_ node: Node, _ name: UnsafePointer<CChar>) throws(FSError) {
        if isPrivateXattr(name) || strcmp(name, OwnershipOverride.xattrName) == 0 { throw FSError(ENODATA) }
        try mutation.locked { () throws(FSError) in
            guard hasUpper else { throw FSError(EROFS) }
            let (path, layer) = table.lock.locked { (table.pathLocked(node), node.layer) }
            // Nothing to copy up for a name the file does not have.
            if lgetxattr(layers[layer].absolute(path), name, nil, 0) < 0 { throw FSError.current }
            try copyUp(node, metaOnly: true)
            try check(lremovexattr(layers[0].absolute(table.path(node)), name))
        }
    }
}
