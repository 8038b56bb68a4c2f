import CFuse3
import Glibc

/// Which implementation provides a union mount.
public enum UnionBackend: String, Sendable, CaseIterable {
    /// The kernel's overlay (mount -t overlay, -o userxattr): only valid as
    /// root of a user namespace with its own mount namespace (Linux 5.11+).
    case kernelOverlay = "overlay"
    /// hutch-unionfs over FUSE: works inside a user namespace or from the host.
    case fuse = "hutch-unionfs"
}

/// A live union mount, made by either back end. hutch's Containers and
/// Builder modules call `mount` before starting a container and `unmount`
/// when it ends.
public struct UnionMount: Sendable {
    public let mountpoint: String
    public let backend: UnionBackend
    /// The hutch-unionfs daemon (fuse back end), 0 otherwise.
    public let daemonPID: pid_t
    /// A kernel overlay made in a container's own mount namespace (see
    /// `inNamespace(at:)`): it goes when that namespace does.
    public private(set) var inContainerNamespace = false

    /// A kernel overlay another process mounted at `mountpoint` inside a
    /// container's mount namespace; unmount() has nothing to do for it.
    public static func inNamespace(at mountpoint: String) -> UnionMount {
        UnionMount(mountpoint: mountpoint, backend: .kernelOverlay, daemonPID: 0, inContainerNamespace: true)
    }

    /// The kernel overlay's mount options for these folders (userxattr:
    /// the form a user namespace may use).
    public static func overlayData(lowers: [String], upper: String, work: String) -> String {
        "lowerdir=" + lowers.map(escapeOverlayPath).joined(separator: ":")
            + ",upperdir=\(escapeOverlayPath(upper)),workdir=\(escapeOverlayPath(work)),userxattr"
    }

    /// Mounts `lowers` (top-most first) under `upper` at `mountpoint`.
    /// For the fuse back end the executable is `unionfsPath`, by default the
    /// hutch-unionfs beside the running binary; the call returns once the
    /// mount is live. `options.watchPID` makes the daemon exit with that process.
    public static func mount(lowers: [String], upper: String, work: String, at mountpoint: String,
                             backend: UnionBackend = .fuse, options: UnionOptions = UnionOptions(),
                             unionfsPath: String? = nil) throws -> UnionMount {
        var opts = options
        opts.lowers = lowers
        opts.upper = upper
        opts.work = work
        try opts.validate()
        switch backend {
        case .kernelOverlay:
            let data = overlayData(lowers: lowers, upper: upper, work: work)
            if Glibc.mount("overlay", mountpoint, "overlay", 0, data) != 0 {
                throw UnionFSError.mount("overlay on \(mountpoint): \(String(cString: strerror(errno)))"
                    + " (the kernel overlay needs root of a user namespace with its own mount namespace)")
            }
            return UnionMount(mountpoint: mountpoint, backend: backend, daemonPID: 0)
        case .fuse where opts.joinPID != nil:
            return try mountJoined(opts, at: mountpoint, exe: unionfsPath ?? defaultUnionFSPath())
        case .fuse:
            let exe = unionfsPath ?? defaultUnionFSPath()
            // -f keeps the daemon our child, so its pid is known; readiness is
            // signalled by the mount appearing (it mounts before serving).
            let argv = [exe, "-f", "-o", opts.optionString, mountpoint]
            let pid = try spawn(argv)
            var status: Int32 = 0
            let deadline = monotonicSeconds() + 30
            while monotonicSeconds() < deadline {
                if isFuseMount(mountpoint) { return UnionMount(mountpoint: mountpoint, backend: backend, daemonPID: pid) }
                if waitpid(pid, &status, WNOHANG) == pid {
                    throw UnionFSError.mount("hutch-unionfs exited with status \(status >> 8) before mounting \(mountpoint)")
                }
                usleep(2000)
            }
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            throw UnionFSError.mount("hutch-unionfs did not mount \(mountpoint) within 30 s")
        }
    }

    /// A read-only view of `lowers` (top-most first) served by hutch-unionfs
    /// in the user and mount namespaces of `pid`, at `mountpoint` there: the
    /// merged image with the owners hutch records shown as real ones, for a
    /// kernel overlay to stack its upper on (see Containers' ImageRootfs).
    /// Its daemon keeps the view mounted in a namespace of its own, so it
    /// ends with `options.watchPID` (by default the caller), not with `pid`.
    public static func mountView(lowers: [String], at mountpoint: String, joining pid: Int32,
                                 options: UnionOptions = UnionOptions(), unionfsPath: String? = nil) throws -> UnionMount {
        var opts = options
        if opts.watchPID == nil { opts.watchPID = getpid() }
        opts.lowers = lowers
        opts.upper = nil
        opts.work = nil
        opts.joinPID = pid
        try opts.validate()
        return try mountJoined(opts, at: mountpoint, exe: unionfsPath ?? defaultUnionFSPath())
    }

    /// Starts hutch-unionfs in the namespaces of `opts.joinPID` and returns
    /// once it has mounted there and settled: it closes the ready pipe
    /// (descriptor 3 in the daemon), or dies, which closes it too.
    private static func mountJoined(_ opts: UnionOptions, at mountpoint: String, exe: String) throws -> UnionMount {
        var fds: [Int32] = [-1, -1]
        guard hutch_pipe_cloexec(&fds) == 0 else { throw UnionFSError.mount("pipe: \(String(cString: strerror(errno)))") }
        var o = opts
        o.readyFD = 3
        let pid: pid_t
        do {
            pid = try spawn([exe, "-f", "-o", o.optionString, mountpoint], dup: fds[1], to: 3)
        } catch {
            close(fds[0]); close(fds[1])
            throw error
        }
        close(fds[1])
        defer { close(fds[0]) }
        var p = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
        var ready: Int32
        repeat { ready = poll(&p, 1, 30_000) } while ready < 0 && errno == EINTR
        var status: Int32 = 0
        if ready == 0 {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            throw UnionFSError.mount("hutch-unionfs did not mount \(mountpoint) within 30 s")
        }
        // The pipe also closes when the daemon dies: the mount must be there.
        guard isFuseMount(mountpoint, mountinfo: "/proc/\(opts.joinPID!)/mountinfo") else {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            let how = status & 0x7f != 0 ? "was killed by signal \(status & 0x7f)" : "exited with status \(status >> 8)"
            throw UnionFSError.mount("hutch-unionfs \(how) before mounting \(mountpoint) in the container's namespace")
        }
        return UnionMount(mountpoint: mountpoint, backend: .fuse, daemonPID: pid)
    }

    /// Unmounts and, for the fuse back end, waits for the daemon to exit.
    public func unmount() throws {
        switch backend {
        case .kernelOverlay where inContainerNamespace:
            return
        case .kernelOverlay:
            if umount2(mountpoint, Int32(MNT_DETACH)) != 0 {
                throw UnionFSError.unmount("\(mountpoint): \(String(cString: strerror(errno)))")
            }
        case .fuse:
            // The daemon unmounts itself on SIGTERM (directly, or via fusermount3).
            kill(daemonPID, SIGTERM)
            var status: Int32 = 0
            let deadline = monotonicSeconds() + 10
            while monotonicSeconds() < deadline {
                if waitpid(daemonPID, &status, WNOHANG) == daemonPID { return }
                usleep(2000)
            }
            kill(daemonPID, SIGKILL)
            waitpid(daemonPID, &status, 0)
            umount2(mountpoint, Int32(MNT_DETACH))
            throw UnionFSError.unmount("hutch-unionfs for \(mountpoint) did not exit within 10 s; killed")
        }
    }

    /// hutch-unionfs beside the running executable, else on PATH.
    public static func defaultUnionFSPath() -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buf, Int(PATH_MAX))
        if n > 0 {
            buf[n] = 0
            var dir = String(cString: buf)
            if let slash = dir.lastIndex(of: "/") { dir = String(dir[..<slash]) }
            let candidate = dir + "/hutch-unionfs"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return "hutch-unionfs"
    }
}

/// Whether `path` is the root of a FUSE mount (its st_dev differs from its
/// parent's and /proc/self/mountinfo names it fuse).
func isFuseMount(_ path: String, mountinfo: String = "/proc/self/mountinfo") -> Bool {
    guard let f = fopen(mountinfo, "r") else { return false }
    defer { fclose(f) }
    var line: UnsafeMutablePointer<CChar>? = nil
    var cap = 0
    defer { free(line) }
    while getline(&line, &cap, f) > 0 {
        let s = String(cString: line!)
        let fields = s.split(separator: " ")
        guard fields.count > 5, unescapeMountPath(fields[4]) == path,
              let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count else { continue }
        if fields[dash + 1].hasPrefix("fuse") { return true }
    }
    return false
}

private func unescapeMountPath(_ s: Substring) -> String {
    // mountinfo writes space, tab, newline and backslash as \ooo.
    var out = [UInt8](), bytes = Array(s.utf8), i = 0
    while i < bytes.count {
        if bytes[i] == UInt8(ascii: "\\"), i + 3 < bytes.count,
           let v = UInt8(String(decoding: bytes[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
            out.append(v); i += 4
        } else { out.append(bytes[i]); i += 1 }
    }
    return String(decoding: out, as: UTF8.self)
}

private func escapeOverlayPath(_ p: String) -> String {
    var s = ""
    for ch in p { if ch == ":" || ch == "," || ch == "\\" { s.append("\\") }; s.append(ch) }
    return s
}

private func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

private func spawn(_ argv: [String], dup fd: Int32 = -1, to target: Int32 = -1) throws -> pid_t {
    var pid = pid_t()
    let cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { cargs.forEach { free($0) } }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    // dup2 clears close-on-exec on the copy: only that one descriptor passes.
    if fd >= 0 { posix_spawn_file_actions_adddup2(&actions, fd, target) }
    let rc = posix_spawnp(&pid, argv[0], &actions, nil, cargs, hutch_environ())
    if rc != 0 { throw UnionFSError.mount("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
    return pid
}
