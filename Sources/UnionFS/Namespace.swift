import CFuse3
import Glibc

/// Who asked: the caller's ids and umask, from the FUSE request.
struct Caller {
    let uid: UInt32
    let gid: UInt32
}

/// Creating, removing and renaming names, keeping the kernel overlay's
/// upper format: whiteouts where something below must stay hidden, opaque
/// directories only where a new directory replaces something below.
extension UnionFileSystem {
    private func paths(_ parent: Node, _ name: String) -> (String, [Int]) {
        table.lock.locked {
            let p = table.pathLocked(parent)
            return (p == "." ? name : p + "/" + name, parent.dirLayers)
        }
    }

    /// Creates a new entry in the upper with `make(dirfd, name)`, over a
    /// whiteout when one is there, then gives it the caller's ownership.
    private func place(_ parent: Node, _ name: String, mode: mode_t, caller: Caller,
                       make: (Int32, String) -> Int32) throws(FSError) -> String {
        guard hasUpper else { throw FSError(EROFS) }
        try copyUpDirectory(parent)
        let (path, _) = paths(parent, name)
        if upperHasWhiteout(path) {
            let tmp = tempName()
            try check(make(workFD, tmp))
            if isDir(mode) {
                // The new directory replaces something below: it must not merge with it.
                _ = lsetxattr(workAbsolute(tmp), "user.overlay.opaque", "y", 1, 0)
                if hutch_renameat2(workFD, tmp, upperFD, path, UInt32(RENAME_EXCHANGE)) != 0 {
                    let e = FSError.current; unlinkat(workFD, tmp, AT_REMOVEDIR); throw e
                }
                unlinkat(workFD, tmp, 0)
            } else if renameat(workFD, tmp, upperFD, path) != 0 {
                let e = FSError.current; unlinkat(workFD, tmp, 0); throw e
            }
        } else {
            try check(make(upperFD, path))
        }
        applyOwner(path, uid: caller.uid, gid: groupForNew(parent, caller), mode: mode)
        return path
    }

    /// The group a new entry gets: the parent's when it is setgid.
    private func groupForNew(_ parent: Node, _ caller: Caller) -> UInt32 {
        if caller.uid == ownUID && caller.gid == ownGID { return caller.gid }
        if let st = try? getattr(parent), st.st_mode & S_ISGID != 0 { return st.st_gid }
        return caller.gid
    }

    func mkdir(_ parent: Node, _ name: String, mode: mode_t, caller: Caller) throws(FSError) -> (Node, stat) {
        try mutation.locked { () throws(FSError) in
            _ = try place(parent, name, mode: S_IFDIR | mode, caller: caller) { mkdirat($0, $1, mode) }
        }
        return try lookup(parent, name)
    }

    func mknod(_ parent: Node, _ name: String, mode: mode_t, rdev: dev_t, caller: Caller) throws(FSError) -> (Node, stat) {
        try mutation.locked { () throws(FSError) in
            _ = try place(parent, name, mode: mode, caller: caller) { mknodat($0, $1, mode, rdev) }
        }
        return try lookup(parent, name)
    }

    func symlink(_ parent: Node, _ name: String, target: UnsafePointer<CChar>, caller: Caller) throws(FSError) -> (Node, stat) {
        try mutation.locked { () throws(FSError) in
            _ = try place(parent, name, mode: S_IFLNK | 0o777, caller: caller) { symlinkat(target, $0, $1) }
        }
        return try lookup(parent, name)
    }

    /// create(2): returns the open descriptor with the node.
    func create(_ parent: Node, _ name: String, mode: mode_t, flags: Int32, caller: Caller) throws(FSError) -> (Node, stat, Int32) {
        var fd: Int32 = -1
        let openFlags = (flags & ~(O_NOCTTY)) | O_CREAT | O_EXCL | O_CLOEXEC
        try mutation.locked { () throws(FSError) in
            _ = try place(parent, name, mode: S_IFREG | mode, caller: caller) { dir, n in
                fd = openat(dir, n, openFlags, mode)
                return fd < 0 ? -1 : 0
            }
        }
        do {
            let (node, st) = try lookup(parent, name)
            return (node, st, fd)
        } catch {
            close(fd)
            throw error
        }
    }

    func link(_ node: Node, to parent: Node, _ name: String) throws(FSError) -> (Node, stat) {
        try mutation.locked { () throws(FSError) in
            guard hasUpper else { throw FSError(EROFS) }
            try copyUp(node, metaOnly: true)
            try copyUpDirectory(parent)
            let src = table.path(node)
            let (path, _) = paths(parent, name)
            if upperHasWhiteout(path) {
                let tmp = tempName()
                try check(linkat(upperFD, src, workFD, tmp, 0))
                if renameat(workFD, tmp, upperFD, path) != 0 { let e = FSError.current; unlinkat(workFD, tmp, 0); throw e }
            } else {
                try check(linkat(upperFD, src, upperFD, path, 0))
            }
            table.lock.locked {
                node.otherNames.append((parent, name))
                parent.children[name] = node
                node.lookups += 1
            }
        }
        return (node, try getattr(node))
    }

    func unlink(_ parent: Node, _ name: String) throws(FSError) {
        try mutation.locked { () throws(FSError) in
            guard hasUpper else { throw FSError(EROFS) }
            let (path, search) = paths(parent, name)
            let f = try resolve(path, among: search)
            if isDir(f.st.st_mode) { throw FSError(EISDIR) }
            if isUpper(f.layer) {
                if existsBelow(path, parentLayers: search) {
                    try replaceWithWhiteout(path, isDirectory: false)
                } else {
                    try check(unlinkat(upperFD, path, 0))
                }
            } else {
                try copyUpDirectory(parent)
                try makeWhiteout(path)
            }
            if let child = table.child(parent, name) { table.detachName(child, parent: parent, name: name) }
        }
    }

    func rmdir(_ parent: Node, _ name: String) throws(FSError) {
        try mutation.locked { () throws(FSError) in
            guard hasUpper else { throw FSError(EROFS) }
            let (path, search) = paths(parent, name)
            let f = try resolve(path, among: search)
            if !isDir(f.st.st_mode) { throw FSError(ENOTDIR) }
            if !(try isEmptyDirectory(path: path, search: f.dirLayers)) { throw FSError(ENOTEMPTY) }
            if isUpper(f.layer) {
                if existsBelow(path, parentLayers: search) {
                    try replaceWithWhiteout(path, isDirectory: true)
                } else {
                    try clearWhiteouts(fd: upperFD, path: path)
                    try check(unlinkat(upperFD, path, AT_REMOVEDIR))
                }
            } else {
                try copyUpDirectory(parent)
                try makeWhiteout(path)
            }
            if let child = table.child(parent, name) { table.detachName(child, parent: parent, name: name) }
        }
    }

    /// Swaps an upper entry for a whiteout in one step (no moment where the
    /// lower file shows through), then drops the old entry.
    private func replaceWithWhiteout(_ path: String, isDirectory: Bool) throws(FSError) {
        let tmp = tempName()
        try linkWhiteout(workFD, tmp)
        if isDirectory {
            if hutch_renameat2(workFD, tmp, upperFD, path, UInt32(RENAME_EXCHANGE)) != 0 {
                let e = FSError.current; unlinkat(workFD, tmp, 0); throw e
            }
            removeWorkTree(tmp)
        } else if renameat(workFD, tmp, upperFD, path) != 0 {
            let e = FSError.current; unlinkat(workFD, tmp, 0); throw e
        }
    }

    func rename(_ parent: Node, _ name: String, to newParent: Node, _ newName: String, flags: UInt32) throws(FSError) {
        if flags & UInt32(RENAME_EXCHANGE) != 0 { throw FSError(EINVAL) }
        try mutation.locked { () throws(FSError) in
            guard hasUpper else { throw FSError(EROFS) }
            let (src, srcSearch) = paths(parent, name)
            let f = try resolve(src, among: srcSearch)
            var (dst, dstSearch) = paths(newParent, newName)
            var target: Found? = nil
            do throws(FSError) { target = try resolve(dst, among: dstSearch) } catch { if error.code != ENOENT { throw error } }
            let srcIsDir = isDir(f.st.st_mode)
            if let t = target {
                if flags & UInt32(RENAME_NOREPLACE) != 0 { throw FSError(EEXIST) }
                if srcIsDir {
                    if !isDir(t.st.st_mode) { throw FSError(ENOTDIR) }
                    if !(try isEmptyDirectory(path: dst, search: t.dirLayers)) { throw FSError(ENOTEMPTY) }
                } else if isDir(t.st.st_mode) {
                    throw FSError(EISDIR)
                }
                if src == dst { return }
            }
            let node = table.child(parent, name) ?? Node(
                ino: shownIno(f.st, layer: f.layer), type: f.st.st_mode & S_IFMT, parent: parent, name: name,
                layer: f.layer, dirLayers: f.dirLayers, override: f.facts.override, hasSecurityXattrs: f.facts.hasSecurity)
            if srcIsDir { try materialize(node) } else { try copyUp(node, metaOnly: true) }
            try copyUpDirectory(newParent)
            (dst, dstSearch) = paths(newParent, newName)
            let srcBelow = existsBelow(src, parentLayers: srcSearch)
            let dstBelow = existsBelow(dst, parentLayers: dstSearch)
            if let t = target, isDir(t.st.st_mode), isUpper(t.layer) { try clearWhiteouts(fd: upperFD, path: dst) }
            if srcIsDir && upperHasWhiteout(dst) { try check(unlinkat(upperFD, dst, 0)) }
            if srcIsDir && dstBelow { _ = lsetxattr(layers[0].absolute(src), "user.overlay.opaque", "y", 1, 0) }
            if srcBelow {
                if hutch_renameat2(upperFD, src, upperFD, dst, UInt32(RENAME_WHITEOUT)) != 0 {
                    guard errno == EINVAL || errno == EPERM else { throw FSError.current }
                    try check(renameat(upperFD, src, upperFD, dst))
                    try makeWhiteout(src)
                }
            } else {
                try check(renameat(upperFD, src, upperFD, dst))
            }
            table.move(node, from: parent, name, to: newParent, newName)
            if srcIsDir {
                table.lock.locked { node.layer = 0; node.dirLayers = [0] }
            }
        }
    }
}
