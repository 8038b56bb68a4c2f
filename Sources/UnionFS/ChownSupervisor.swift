import CFuse3
import Glibc

/// Answers the chown calls a container's seccomp filter hands over
/// (SCMP_ACT_NOTIFY) when its user namespace maps one id: the kernel would
/// refuse `chown(f, 1000, 1000)` with EINVAL there, since uid 1000 has no
/// kernel id, before any filesystem saw it. This daemon can record what the
/// kernel cannot: ownership in the override xattr, as a FUSE SETATTR with
/// those ids does (copy-up included).
///
/// hutch sends the listener descriptors (of the container's first command
/// and of every `hutch exec`) to the unix socket `-o control=PATH`; one
/// thread accepts them and serves every listener until its processes are gone.
final class ChownSupervisor {
    let socketPath: String
    private let listenFD: Int32
    /// /proc as the daemon saw it at start: the pids of notifications are
    /// in this PID namespace, whatever namespaces the daemon joins later.
    private let procFD: Int32
    private let ownUserNS: (UInt64, UInt64)
    private var fs: UnionFileSystem!
    private var session: OpaquePointer?
    private var mountpoint = ""
    private var unionDev: UInt64?
    private var connections: [Int32] = []
    private var listeners: [Int32] = []

    static let ioctlRecv: UInt = 0xC050_2100      // SECCOMP_IOCTL_NOTIF_RECV
    static let ioctlSend: UInt = 0xC018_2101      // SECCOMP_IOCTL_NOTIF_SEND
    static let ioctlIDValid: UInt = 0x4008_2102   // SECCOMP_IOCTL_NOTIF_ID_VALID
    static let flagContinue: UInt32 = 1           // SECCOMP_USER_NOTIF_FLAG_CONTINUE

    /// Binds the control socket (mode 0600) and opens /proc. Call before
    /// joining any namespace and before mounting.
    init(socketPath: String) throws {
        self.socketPath = socketPath
        procFD = Glibc.open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard procFD >= 0 else { throw UnionFSError.badOption("control=: cannot open /proc: \(String(cString: strerror(errno)))") }
        var st = stat()
        ownUserNS = stat("/proc/self/ns/user", &st) == 0 ? (UInt64(st.st_dev), UInt64(st.st_ino)) : (0, 0)
        listenFD = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard listenFD >= 0 else { throw UnionFSError.badOption("control=: socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw UnionFSError.badOption("control=\(socketPath): longer than \(MemoryLayout.size(ofValue: addr.sun_path) - 1) bytes")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes); $0[bytes.count] = 0 }
        unlink(socketPath)
        // Created 0600 from the start: no window where another user may connect.
        let old = umask(0o177)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listenFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(old)
        guard rc == 0, listen(listenFD, 16) == 0 else {
            throw UnionFSError.badOption("control=\(socketPath): \(String(cString: strerror(errno)))")
        }
    }

    /// Starts serving, once the mount is live (and after fuse_daemonize:
    /// threads do not survive its fork).
    func start(fs: UnionFileSystem, session: OpaquePointer?, mountpoint: String) {
        self.fs = fs
        self.session = session
        self.mountpoint = mountpoint
        startThread { [self] in serve() }
    }

    func removeSocket() { unlink(socketPath) }

    // MARK: the loop

    private func serve() {
        while true {
            var fds = [pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)]
            fds += connections.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            fds += listeners.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[0].revents & Int16(POLLIN) != 0 { acceptConnections() }
            for p in fds.dropFirst() where p.revents != 0 {
                if connections.contains(p.fd) { receiveListener(from: p.fd); continue }
                if p.revents & Int16(POLLIN) != 0 { handleNotification(on: p.fd) }
                else { dropListener(p.fd) }   // POLLHUP: every process of the filter is gone
            }
        }
    }

    private func acceptConnections() {
        while true {
            let c = accept(listenFD, nil, nil)
            if c < 0 { return }
            _ = fcntl(c, F_SETFD, FD_CLOEXEC)
            connections.append(c)
        }
    }

    private func receiveListener(from connection: Int32) {
        defer { close(connection); connections.removeAll { $0 == connection } }
        guard let fd = receiveDescriptor(connection) else { return }
        // Only seccomp listeners are served; anything else is closed.
        var link = [CChar](repeating: 0, count: 64)
        let n = readlink("/proc/self/fd/\(fd)", &link, link.count - 1)
        guard n > 0, String(cString: link).hasSuffix("seccomp notify") else { close(fd); return }
        listeners.append(fd)
    }

    private func dropListener(_ fd: Int32) {
        close(fd)
        listeners.removeAll { $0 == fd }
    }

    private func handleNotification(on listener: Int32) {
        var buffer = [UInt8](repeating: 0, count: SeccompNotification.size)
        let rc = buffer.withUnsafeMutableBytes { ioctl(listener, Self.ioctlRecv, $0.baseAddress!) }
        // ENOENT: the caller died (or was interrupted) before we took it.
        guard rc == 0 else { if errno != ENOENT && errno != EINTR { dropListener(listener) }; return }
        guard let n = buffer.withUnsafeBytes({ SeccompNotification(bytes: $0) }) else { return }
        let reply: Reply
        do throws(FSError) { reply = try decide(n, listener: listener) } catch { reply = .error(error.code) }
        send(reply, id: n.id, on: listener)
    }

    enum Reply: Equatable { case proceed, done, error(Int32), gone }

    private func send(_ reply: Reply, id: UInt64, on listener: Int32) {
        if reply == .gone { return }
        // struct seccomp_notif_resp: id, val, error, flags.
        var resp = [UInt8](repeating: 0, count: 24)
        resp.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: id, toByteOffset: 0, as: UInt64.self)
            switch reply {
            case .proceed: raw.storeBytes(of: Self.flagContinue, toByteOffset: 20, as: UInt32.self)
            case .error(let e): raw.storeBytes(of: -e, toByteOffset: 16, as: Int32.self)
            case .done, .gone: break
            }
        }
        _ = resp.withUnsafeMutableBytes { ioctl(listener, Self.ioctlSend, $0.baseAddress!) }
    }

    private func stillWaiting(_ id: UInt64, on listener: Int32) -> Bool {
        var v = id
        return withUnsafeMutableBytes(of: &v) { ioctl(listener, Self.ioctlIDValid, $0.baseAddress!) } == 0
    }

    // MARK: deciding

    private func decide(_ n: SeccompNotification, listener: Int32) throws(FSError) -> Reply {
        guard let request = try ChownRequest(n) else { return .proceed }
        let caller = CallerProcess(procFD: procFD, pid: n.pid)
        guard let uidMap = caller.text("uid_map").map(IDMapFile.init(parsing:)),
              let gidMap = caller.text("gid_map").map(IDMapFile.init(parsing:)) else {
            // Unreadable (or gone): always answer, a caller left waiting would hang.
            throw FSError(EINVAL)
        }
        let uidMapped = request.uid.map { uidMap.outside($0) != nil } ?? true
        let gidMapped = request.gid.map { gidMap.outside($0) != nil } ?? true
        // Ids the kernel can write: it does the whole call, permissions included.
        if uidMapped && gidMapped { return .proceed }

        let target = try resolve(request, caller)
        defer { close(target) }
        guard let status = caller.text("status") else { throw FSError(EPERM) }
        // What the kernel would ask of a chown to another user: CAP_CHOWN.
        guard let caps = effectiveCapabilities(status: status), caps & 1 != 0 else { throw FSError(EPERM) }
        // The pid may have been reused while we read its memory and /proc.
        guard stillWaiting(n.id, on: listener) else { return .gone }

        var st = stat()
        try check(fstat(target, &st))
        // Not on this mount (a tmpfs, a volume): what the kernel says there.
        guard UInt64(st.st_dev) == unionDevice() else { throw FSError(EINVAL) }
        var nodeID: UInt64 = 0, generation: UInt32 = 0
        guard hutch_fuse_node_id(target, &nodeID, &generation) == 0, generation == 1, nodeID != 0 else { throw FSError(EINVAL) }
        // The open descriptor pins the inode, so the kernel holds the node.
        let node = fs.table.node(nodeID)
        let shared = sameUserNamespace(caller)
        let uid = request.uid.map { shared ? $0 : (uidMap.outside($0) ?? $0) }
        let gid = request.gid.map { shared ? $0 : (gidMap.outside($0) ?? $0) }
        try fs.recordOwnership(node, uid: uid, gid: gid)
        if let session { _ = fuse_lowlevel_notify_inval_inode(session, fuse_ino_t(nodeID), -1, 0) }
        return .done
    }

    /// The target as an O_PATH descriptor, resolved as the caller would:
    /// inside its root, from its working directory or directory descriptor.
    private func resolve(_ request: ChownRequest, _ caller: CallerProcess) throws(FSError) -> Int32 {
        switch request.target {
        case .descriptor(let fd):
            guard fd >= 0 else { throw FSError(EBADF) }
            return try caller.open("fd/\(fd)")
        case .path(let dirfd, let address, let follow):
            let bytes = try caller.string(at: address)
            let base = dirfd == ChownRequest.atFDCWD ? "cwd" : "fd/\(dirfd)"
            if dirfd != ChownRequest.atFDCWD && dirfd < 0 && bytes.first != UInt8(ascii: "/") { throw FSError(EBADF) }
            if bytes.isEmpty {
                guard request.emptyPathAllowed else { throw FSError(ENOENT) }
                return try caller.open(base)
            }
            let root = try caller.open("root", directory: true)
            defer { close(root) }
            var full = bytes
            if bytes.first != UInt8(ascii: "/") {
                full = try directoryPath(base, caller, root: root) + [UInt8(ascii: "/")] + bytes
            }
            let flags = UInt64(HUTCH_O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW))
            let fd = full.withUnsafeBufferPointer { b -> Int32 in
                let c = Array(b) + [0]
                return c.withUnsafeBufferPointer {
                    $0.withMemoryRebound(to: CChar.self) {
                        hutch_openat2(root, $0.baseAddress, flags, HUTCH_RESOLVE_IN_ROOT | HUTCH_RESOLVE_NO_MAGICLINKS)
                    }
                }
            }
            if fd < 0 { throw FSError(errno == EXDEV ? ELOOP : errno) }
            return fd
        }
    }

    /// The caller's directory (cwd or fd/N) as a path in its root, checked
    /// to name the same directory: a path the root cannot reach is refused.
    private func directoryPath(_ base: String, _ caller: CallerProcess, root: Int32) throws(FSError) -> [UInt8] {
        let dir = try caller.open(base)
        defer { close(dir) }
        var want = stat(), got = stat()
        try check(fstat(dir, &want))
        guard isDir(want.st_mode) else { throw FSError(ENOTDIR) }
        // readlink shows the path from our root: a chrooted caller's
        // directory has its root's path in front (a pivot_root'ed one not).
        guard var path = caller.readlink(base), path.hasPrefix("/") else { throw FSError(EINVAL) }
        if let rootPath = caller.readlink("root"), rootPath != "/" {
            if path == rootPath { path = "/" }
            else if path.hasPrefix(rootPath + "/") { path = String(path.dropFirst(rootPath.utf8.count)) }
        }
        let fd = hutch_openat2(root, path, UInt64(HUTCH_O_PATH | O_CLOEXEC | O_DIRECTORY), HUTCH_RESOLVE_IN_ROOT | HUTCH_RESOLVE_NO_MAGICLINKS)
        guard fd >= 0 else { throw FSError(EINVAL) }
        defer { close(fd) }
        try check(fstat(fd, &got))
        guard got.st_dev == want.st_dev, got.st_ino == want.st_ino else { throw FSError(EINVAL) }
        return Array(path.utf8)
    }

    private func unionDevice() -> UInt64 {
        if let unionDev { return unionDev }
        var st = stat()
        // Answered by the session's other threads: this one is not one of them.
        guard stat(mountpoint, &st) == 0 else { return UInt64.max }
        unionDev = UInt64(st.st_dev)
        return unionDev!
    }

    private func sameUserNamespace(_ caller: CallerProcess) -> Bool {
        var st = stat()
        guard fstatat(procFD, "\(caller.pid)/ns/user", &st, 0) == 0 else { return false }
        return (UInt64(st.st_dev), UInt64(st.st_ino)) == ownUserNS
    }
}

/// One descriptor sent with SCM_RIGHTS (and at least one byte), CLOEXEC;
/// nil for a message without one. Extra descriptors are closed.
func receiveDescriptor(_ sock: Int32) -> Int32? {
    var byte: UInt8 = 0
    // struct cmsghdr is 16 bytes on 64-bit Linux, then the int array.
    var control = [UInt8](repeating: 0, count: 64)
    let n = withUnsafeMutablePointer(to: &byte) { bytePtr -> Int in
        var iov = iovec(iov_base: UnsafeMutableRawPointer(bytePtr), iov_len: 1)
        return control.withUnsafeMutableBytes { ctl -> Int in
            withUnsafeMutablePointer(to: &iov) { iovPtr -> Int in
                var msg = msghdr()
                msg.msg_iov = iovPtr
                msg.msg_iovlen = 1
                msg.msg_control = ctl.baseAddress
                msg.msg_controllen = ctl.count
                return recvmsg(sock, &msg, Int32(MSG_CMSG_CLOEXEC))
            }
        }
    }
    guard n > 0 else { return nil }
    var found: Int32? = nil
    var at = 0
    while at + 16 <= control.count {
        let len = control.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: Int.self) }
        guard len >= 16, at + len <= control.count else { break }
        let level = control.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at + 8, as: Int32.self) }
        let type = control.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at + 12, as: Int32.self) }
        if level == SOL_SOCKET && type == 1 /* SCM_RIGHTS */ {
            for k in 0..<((len - 16) / 4) {
                let fd = control.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at + 16 + 4 * k, as: Int32.self) }
                if found == nil { found = fd } else { close(fd) }
            }
        }
        at += (len + 7) & ~7
    }
    return found
}

/// The ids this mount's kernel side can represent: the user namespace
/// the daemon is in when it first serves (the mount's), and its own ids.
private let mountNamespaceIDs: (uids: IDMapFile, gids: IDMapFile, own: (UInt32, UInt32)) = {
    func read(_ path: String) -> IDMapFile {
        guard let f = fopen(path, "r") else { return IDMapFile(parsing: "0 0 4294967295") }
        defer { fclose(f) }
        var text = ""
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil { text += String(cString: line) }
        return IDMapFile(parsing: text)
    }
    return (read("/proc/self/uid_map"), read("/proc/self/gid_map"), (geteuid(), getegid()))
}()

extension UnionFileSystem {
    /// The owner stat shows for a recorded one. An id the mount's user
    /// namespace cannot map (1000 when only the user's own id is mapped)
    /// would reach the container as the overflow id 65534, and the kernel
    /// then refuses every chmod, utime and create in it (EOVERFLOW, EACCES)
    /// even to the container's root. So such a file shows as the daemon's
    /// own ids (the namespace's root); the recorded owner stays in the xattr
    /// for the committed layer.
    @inline(__always)
    func kernelVisibleOwner(_ o: OwnershipOverride) -> (UInt32, UInt32) {
        let ids = mountNamespaceIDs
        return (ids.uids.outside(o.uid) != nil ? o.uid : ids.own.0,
                ids.gids.outside(o.gid) != nil ? o.gid : ids.own.1)
    }

    /// chown as the kernel does it, through setattr (copy-up, then the
    /// override xattr for ids the kernel cannot write): setuid cleared,
    /// setgid cleared when group-executable, on anything but a directory.
    /// A symlink keeps no user xattr, so its owner is accepted, not kept.
    func recordOwnership(_ node: Node, uid: UInt32?, gid: UInt32?) throws(FSError) {
        if node.type == S_IFLNK { return }
        let now = try getattr(node)
        var attr = stat()
        var toSet: Int32 = 0
        if let uid { attr.st_uid = uid; toSet |= FUSE_SET_ATTR_UID }
        if let gid { attr.st_gid = gid; toSet |= FUSE_SET_ATTR_GID }
        if !isDir(node.type) {
            let setuid: mode_t = 0o4000, setgid: mode_t = 0o2000, groupExec: mode_t = 0o010
            let mode = now.st_mode & 0o7777
            var cleared = mode & ~setuid
            if cleared & (setgid | groupExec) == setgid | groupExec { cleared &= ~setgid }
            if cleared != mode { attr.st_mode = cleared; toSet |= FUSE_SET_ATTR_MODE }
        }
        _ = try setattr(node, attr, toSet, fd: nil)
    }
}
