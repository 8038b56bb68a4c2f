import CFuse3
import Glibc

/// The merged view of the layers: resolves names through them and keeps
/// the kernel overlay's on-disk format in the upper layer. The FUSE
/// binding (FuseBinding.swift) calls into this; every method throws the
/// errno to reply with.
final class UnionFileSystem {
    let layers: [Layer]
    /// True when layers[0] is a writable upper.
    let hasUpper: Bool
    /// HUTCH_O_PATH descriptor of workdir/work (same filesystem as the upper).
    let workFD: Int32
    let options: UnionOptions
    let table: NodeTable
    /// Serializes namespace changes and copy-ups: they touch several
    /// entries that must agree (whiteouts, parents copied up, the node table).
    let mutation = Mutex()
    private var tempCounter: UInt64 = 0
    /// The workdir entry every whiteout links to.
    let sharedWhiteoutName = "#hutch.whiteout"
    /// Whether inode numbers of different layers can collide.
    let singleDevice: Bool
    private let devices: [UInt64]
    /// Upper inode number -> the number shown since before its copy-up.
    private var originIno: [UInt64: UInt64] = [:]
    /// Lower file (dev, ino) -> its upper copy, so hard links stay linked.
    private var copiedLinks: [HardLinkKey: (path: String, ino: UInt64)] = [:]
    /// Upper inodes of metadata-only copies to fill in when the mount ends.
    var stubInodes: Set<UInt64> = []
    let inoLock = Mutex()
    let ownUID = geteuid(), ownGID = getegid()

    struct HardLinkKey: Hashable { let dev: UInt64, ino: UInt64 }

    init(options: UnionOptions) throws {
        self.options = options
        var layers: [Layer] = []
        if let upper = options.upper { layers.append(try Layer(path: upper)) }
        for lower in options.lowers { layers.append(try Layer(path: lower)) }
        self.layers = layers
        hasUpper = options.upper != nil
        if let work = options.work, hasUpper {
            let w = try Layer(path: work)
            mkdirat(w.fd, "work", 0o700)
            let fd = openat(w.fd, "work", HUTCH_O_PATH | O_DIRECTORY | O_CLOEXEC)
            if fd < 0 { throw UnionFSError.layer(work + "/work", String(cString: strerror(errno))) }
            var wst = stat(), ust = stat()
            fstat(fd, &wst); fstat(layers[0].fd, &ust)
            if wst.st_dev != ust.st_dev { throw UnionFSError.layer(work, "workdir must be on the upperdir's filesystem") }
            // A leftover shared whiteout is reused only if it still is one.
            var sw = stat()
            if fstatat(fd, "#hutch.whiteout", &sw, AT_SYMLINK_NOFOLLOW) == 0 && !isWhiteout(sw) {
                unlinkat(fd, "#hutch.whiteout", isDir(sw.st_mode) ? AT_REMOVEDIR : 0)
            }
            workFD = fd
        } else {
            workFD = -1
        }
        var devs: [UInt64] = []
        for l in layers where !devs.contains(l.dev) { devs.append(l.dev) }
        devices = devs
        singleDevice = devs.count == 1
        var rootLayers: [Int] = []
        var rootFacts = XattrFacts()
        for i in layers.indices {
            rootLayers.append(i)
            let f = readXattrFacts(layers[i].path, wantOpaque: true)
            if i == 0 { rootFacts = f }
            if f.opaque { break }
        }
        var st = stat()
        fstat(layers[0].fd, &st)
        let root = Node(ino: UInt64(st.st_ino), type: S_IFDIR, parent: nil, name: "", layer: 0,
                        dirLayers: rootLayers, override: rootFacts.override, hasSecurityXattrs: rootFacts.hasSecurity)
        table = NodeTable(root: root)
    }

    @inline(__always) func isUpper(_ layer: Int) -> Bool { hasUpper && layer == 0 }
    var upperFD: Int32 { layers[0].fd }

    // MARK: resolving names

    struct Found {
        var st: stat
        var layer: Int
        var dirLayers: [Int]
        var facts: XattrFacts
    }

    /// Finds `path` through the layers in `search` (the parent's merge list).
    func resolve(_ path: String, among search: [Int]) throws(FSError) -> Found {
        var found: Found? = nil
        var st = stat()
        for (k, l) in search.enumerated() {
            if fstatat(layers[l].fd, path, &st, AT_SYMLINK_NOFOLLOW) != 0 {
                let e = errno
                if e == ENOENT || e == ENOTDIR { continue }
                throw FSError(e)
            }
            if isWhiteout(st, at: layers[l].fd, path) { break }
            let more = k + 1 < search.count
            if found == nil {
                let facts = readXattrFacts(layers[l].absolute(path), wantOpaque: more && isDir(st.st_mode))
                found = Found(st: st, layer: l, dirLayers: [], facts: facts)
                if !isDir(st.st_mode) { break }
                found!.dirLayers.append(l)
                if facts.opaque { break }
            } else {
                if !isDir(st.st_mode) { break }
                found!.dirLayers.append(l)
                if more && readXattrFacts(layers[l].absolute(path), wantOpaque: true).opaque { break }
            }
        }
        guard let f = found else { throw FSError(ENOENT) }
        return f
    }

    /// The inode number shown for a file found in `layer`.
    @inline(__always)
    func shownIno(_ st: stat, layer: Int) -> UInt64 {
        var ino = UInt64(st.st_ino)
        if !singleDevice, let d = devices.firstIndex(of: layers[layer].dev), d > 0 { ino ^= UInt64(d) << 56 }
        if isUpper(layer) {
            inoLock.locked { if let o = originIno[ino] { ino = o } }
        }
        return ino
    }

    /// The stat shown through the mount.
    @inline(__always)
    func shown(_ raw: stat, ino: UInt64, override: OwnershipOverride?, merged: Bool) -> stat {
        var st = raw
        st.st_ino = __ino_t(ino)
        if let o = override {
            (st.st_uid, st.st_gid) = kernelVisibleOwner(o)
            st.st_mode = (st.st_mode & S_IFMT) | o.mode
        }
        st.st_uid = options.uidMapping.toContainer(st.st_uid)
        st.st_gid = options.gidMapping.toContainer(st.st_gid)
        if options.squashToRoot { st.st_uid = 0; st.st_gid = 0 }
        if let u = options.squashToUID { st.st_uid = u }
        if let g = options.squashToGID { st.st_gid = g }
        // A merged directory's entries are spread over several layers: like the
        // kernel overlay, report 1 ("unknown") rather than count them.
        if merged { st.st_nlink = 1 }
        return st
    }

    /// Looks up parent/name and returns the node the kernel will hold (its
    /// lookup count already raised) and its stat.
    func lookup(_ parent: Node, _ name: String) throws(FSError) -> (Node, stat) {
        let (path, search) = table.lock.locked { () -> (String, [Int]) in
            let p = table.pathLocked(parent)
            return (p == "." ? name : p + "/" + name, parent.dirLayers)
        }
        let f = try resolve(path, among: search)
        let ino = shownIno(f.st, layer: f.layer)
        let node = table.remember(parent: parent, name: name, make: {
            Node(ino: ino, type: f.st.st_mode & S_IFMT, parent: parent, name: name, layer: f.layer,
                 dirLayers: f.dirLayers, override: f.facts.override, hasSecurityXattrs: f.facts.hasSecurity)
        }, same: { $0.type == f.st.st_mode & S_IFMT })
        let source = isUpper(f.layer) ? f.facts.dataSource.map(locateDataSource) : nil
        // A node the kernel already held may have been resolved before a change below it.
        table.lock.locked {
            node.layer = f.layer
            node.dirLayers = f.dirLayers
            node.override = f.facts.override
            node.hasSecurityXattrs = f.facts.hasSecurity
            node.dataSource = source
        }
        var st = f.st
        if let source {
            noteStub(upperIno: UInt64(f.st.st_ino))
            addDataBlocks(&st, source)
        }
        return (node, shown(st, ino: node.ino, override: f.facts.override, merged: f.dirLayers.count > 1))
    }

    /// The node's current stat.
    func getattr(_ node: Node, fd: Int32? = nil) throws(FSError) -> stat {
        var st = stat()
        let (path, layer, override, merged, source) = table.lock.locked {
            (table.pathLocked(node), node.layer, node.override, node.dirLayers.count > 1, node.dataSource)
        }
        // A stub's open descriptor is its data's, in a lower layer: its metadata is the stub's.
        let openFD = fd ?? (node.unlinked ? table.lock.locked { node.openFDs.first } : nil)
        if let fd = openFD, source == nil || node.unlinked {
            try check(fstat(fd, &st))
        } else {
            if node.unlinked { throw FSError(ENOENT) }
            try check(fstatat(layers[layer].fd, path, &st, AT_SYMLINK_NOFOLLOW))
            if let source { addDataBlocks(&st, source) }
        }
        return shown(st, ino: node.ino, override: override, merged: merged)
    }

    /// Whether a name in the upper must be covered by a whiteout when
    /// removed: something visible of that name exists in a lower layer.
    func existsBelow(_ path: String, parentLayers: [Int]) -> Bool {
        var st = stat()
        for l in parentLayers where !isUpper(l) {
            if fstatat(layers[l].fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 { return !isWhiteout(st, at: layers[l].fd, path) }
        }
        return false
    }

    // MARK: helpers for the upper layer

    /// A fresh name in workdir/work. Caller holds `mutation`.
    func tempName() -> String {
        tempCounter += 1
        return "#hutch.\(getpid()).\(tempCounter)"
    }

    func recordOrigin(upperIno: UInt64, shown: UInt64) {
        if upperIno != shown { inoLock.locked { originIno[upperIno] = shown } }
    }

    func linkedCopy(_ key: HardLinkKey) -> (path: String, ino: UInt64)? { inoLock.locked { copiedLinks[key] } }
    func recordLinkedCopy(_ key: HardLinkKey, path: String, ino: UInt64) {
        inoLock.locked { copiedLinks[key] = (path, ino) }
    }

    /// Creates a whiteout (char 0/0) at an upper path that holds nothing.
    /// Like the kernel overlay's, whiteouts are hard links to one device
    /// node in the workdir: deleting 10,000 lower files makes no new inode
    /// (on ext4 each new inode right after a mass delete costs a scan of the
    /// recently freed ones). Caller holds `mutation`.
    func makeWhiteout(_ path: String) throws(FSError) {
        try linkWhiteout(upperFD, path)
    }

    /// Links the shared whiteout at dir/name, making a new one when there is
    /// none or it has as many links as the filesystem allows.
    func linkWhiteout(_ dir: Int32, _ name: String) throws(FSError) {
        if linkat(workFD, sharedWhiteoutName, dir, name, 0) == 0 { return }
        let e = errno
        guard e == ENOENT || e == EMLINK else {
            if e == EEXIST { throw FSError(e) }
            return try check(mknodat(dir, name, S_IFCHR, 0))
        }
        // A fresh node built aside and renamed in, so the shared name is
        // never a half-made file.
        let tmp = tempName()
        try check(mknodat(workFD, tmp, S_IFCHR, 0))
        if renameat(workFD, tmp, workFD, sharedWhiteoutName) != 0 {
            let e = FSError.current; unlinkat(workFD, tmp, 0); throw e
        }
        if linkat(workFD, sharedWhiteoutName, dir, name, 0) == 0 { return }
        if errno == EEXIST { throw FSError.current }
        try check(mknodat(dir, name, S_IFCHR, 0))
    }

    /// Whether the upper holds a whiteout at path.
    func upperHasWhiteout(_ path: String) -> Bool {
        var st = stat()
        return fstatat(upperFD, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && isWhiteout(st)
    }

    /// The owner a new entry may have without an override: the daemon's own.
    /// With xattr_owners the store reads a file of the user's with no
    /// override as root's, so any other owner is recorded, the daemon's own
    /// included when it is not root in the namespace (a container run as
    /// `USER app` without a subordinate range maps the user to app alone).
    var recordFreeOwner: (uid: UInt32, gid: UInt32) { options.xattrOwners ? (0, 0) : (ownUID, ownGID) }

    /// Gives a new upper entry the caller's ownership; what the kernel will
    /// not let us write goes to the override xattr.
    func applyOwner(_ path: String, uid: UInt32, gid: UInt32, mode: mode_t) {
        guard uid != recordFreeOwner.uid || gid != recordFreeOwner.gid else { return }
        if !options.xattrOwners, let hu = options.uidMapping.toHost(uid), let hg = options.gidMapping.toHost(gid),
           fchownat(upperFD, path, hu, hg, AT_SYMLINK_NOFOLLOW) == 0 {
            return
        }
        if mode & S_IFMT == S_IFLNK { return }  // no user.* xattrs on symlinks
        let ov = OwnershipOverride(uid: uid, gid: gid, mode: mode)
        _ = writeOverride(layers[0].absolute(path), ov, type: mode)
    }

    func writeOverride(_ abs: String, _ ov: OwnershipOverride, type: mode_t) -> Int32 {
        let value = ov.encoded(fileType: type)
        return value.withCString { lsetxattr(abs, OwnershipOverride.xattrName, $0, strlen($0), 0) }
    }

    func statfs() throws(FSError) -> statvfs {
        var s = statvfs()
        try check(fstatvfs(layers[0].fd, &s))
        return s
    }
}
