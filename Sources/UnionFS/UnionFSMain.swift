import CFuse3
import Glibc

/// The hutch-unionfs program: fuse-overlayfs's command line, then mount,
/// daemonize once the mount is live, and serve until unmounted.
public enum UnionFSMain {
    static let usage = """
        usage: hutch-unionfs -o lowerdir=A[:B...],upperdir=U,workdir=W[,squash_to_root,squash_to_uid=N,
                             uidmapping=C:H:L,gidmapping=C:H:L,watch_pid=PID,control=SOCKET] [-f] [-d] MOUNTPOINT
        """

    struct Invocation {
        var options = UnionOptions()
        var foreground = false
        var debug = false
        var mountpoint: String?
    }

    static func parse(_ arguments: [String]) throws -> Invocation {
        var inv = Invocation()
        var i = 1
        while i < arguments.count {
            let a = arguments[i]
            switch a {
            case "-f": inv.foreground = true
            case "-d", "--debug": inv.debug = true; inv.foreground = true
            case "-o":
                i += 1
                guard i < arguments.count else { throw UnionFSError.badOption("-o needs a value") }
                try inv.options.parse(arguments[i])
            case "-h", "--help": throw UnionFSError.badOption("\n" + usage)
            default:
                if a.hasPrefix("-o") { try inv.options.parse(String(a.dropFirst(2))) }
                else if a.hasPrefix("-") { throw UnionFSError.badOption("unknown flag \(a)\n" + usage) }
                else if inv.mountpoint == nil { inv.mountpoint = a }
                else { throw UnionFSError.badOption("more than one mountpoint given\n" + usage) }
            }
            i += 1
        }
        if inv.options.fuseOptions.contains("debug") { inv.debug = true; inv.foreground = true }
        inv.options.fuseOptions.removeAll { $0 == "debug" }
        guard inv.mountpoint != nil else { throw UnionFSError.badOption("no mountpoint given\n" + usage) }
        try inv.options.validate()
        return inv
    }

    public static func run(_ arguments: [String]) -> Never {
        do {
            exit(try serve(parse(arguments)))
        } catch {
            fputs("\(error)\n", stderr)
            exit(1)
        }
    }

    nonisolated(unsafe) static var mountpoint = ""

    /// Whether this daemon mounted inside a container's namespaces.
    nonisolated(unsafe) static var joined = false
    /// Whether hutch started this daemon (watch_pid given).
    nonisolated(unsafe) static var watching = false

    static func serve(_ inv: Invocation) throws -> Int32 {
        // First, while the process has one thread (setns refuses a user
        // namespace to a threaded process), and before anything reads ids.
        if let pid = inv.options.joinPID { try join(pid) }
        raiseFileLimit()
        signal(SIGPIPE, SIG_IGN)
        served = try UnionFileSystem(options: inv.options)
        let supervisor = try inv.options.controlSocket.map { try ChownSupervisor(socketPath: $0) }
        defer { supervisor?.removeSocket() }
        guard let real = realpath(inv.mountpoint!, nil) else {
            throw UnionFSError.mount("\(inv.mountpoint!): \(String(cString: strerror(errno)))")
        }
        mountpoint = String(cString: real)
        free(real)

        var opts = ["default_permissions", "fsname=hutch-unionfs", "subtype=hutch-unionfs"]
        // Root of a user namespace mounts directly and may let the namespace's
        // other ids in; through fusermount3 that needs user_allow_other.
        if inv.options.allowOther || geteuid() == 0 || joined { opts.append("allow_other") }
        opts += inv.options.fuseOptions
        var argv = ["hutch-unionfs", "-o", opts.joined(separator: ",")]
        if inv.debug { argv.append("-d") }
        let cargs = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: argv.count + 1)
        for (i, a) in argv.enumerated() { cargs[i] = strdup(a) }
        cargs[argv.count] = nil
        var args = fuse_args(argc: Int32(argv.count), argv: cargs, allocated: 0)
        var ops = makeOperations()
        guard let se = fuse_session_new(&args, &ops, MemoryLayout<fuse_lowlevel_ops>.size, nil) else {
            throw UnionFSError.mount("bad FUSE options: \(opts.joined(separator: ","))")
        }
        defer { fuse_session_destroy(se) }
        guard fuse_session_mount(se, mountpoint) == 0 else {
            throw UnionFSError.mount("cannot mount on \(mountpoint) (is /dev/fuse usable, fusermount3 installed?)")
        }
        let spin = getenv("HUTCH_UNIONFS_SPIN_US").flatMap { Int(String(cString: $0)) } ?? 50
        let spliceRequests: Int32 = getenv("HUTCH_UNIONFS_SPLICE_REQUESTS").map { String(cString: $0) == "0" ? 0 : 1 } ?? 1
        guard hutch_install_spinning_reader(se, spin, spliceRequests) == 0 else {
            fuse_session_unmount(se)
            throw UnionFSError.mount("cannot set up the reader of /dev/fuse: \(String(cString: strerror(errno)))")
        }
        if joined {
            // The mount is the container's; the daemon keeps a copy of the
            // namespace of its own, so the container's pivot_root (which moves
            // the root of every process of its namespace) leaves ours alone.
            if hutch_unshare_mount_ns() != 0 || Glibc.mount(nil, "/", nil, UInt(MS_REC | MS_PRIVATE), nil) != 0 {
                let e = errno
                fuse_session_unmount(se)
                throw UnionFSError.mount("cannot leave the container's mount namespace: \(String(cString: strerror(e)))")
            }
        }
        // The mount is live: only now may the caller go on (fuse_daemonize's
        // parent exits once the child is set up).
        if !inv.foreground { fuse_daemonize(0) }
        if let fd = inv.options.readyFD { close(fd) }

        // Signals are taken by one thread that unmounts; the kernel then ends
        // the session loop.
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        startThread { signalWatcher() }
        // Like fuse-overlayfs the mount outlives the shell that made it; hutch
        // passes watch_pid (the process holding the container's namespaces),
        // since inside a user namespace this daemon alone would keep a dead
        // container's namespace alive.
        if let pid = inv.options.watchPID, pid > 0 { watching = true; watch(pid: pid) }
        supervisor?.start(fs: served, session: se, mountpoint: mountpoint)

        var config = fuse_loop_config(clone_fd: 0, max_idle_threads: 16)
        let rc = fuse_session_loop_mt_32(se, &config)
        fuse_session_unmount(se)
        served.fillStubs()
        return rc == 0 || rc == -ENODEV ? 0 : 1
    }

    static func raiseFileLimit() {
        var lim = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max
            setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &lim)
        }
    }

    /// Enters the user and mount namespaces of `pid` (a container's init
    /// waiting to be released): mounting there needs no fusermount3 and no
    /// user_allow_other, and the kernel hands us the container's ids.
    static func join(_ pid: Int32) throws {
        let userFD = open("/proc/\(pid)/ns/user", O_RDONLY | O_CLOEXEC)
        let mountFD = open("/proc/\(pid)/ns/mnt", O_RDONLY | O_CLOEXEC)
        defer { if userFD >= 0 { close(userFD) }; if mountFD >= 0 { close(mountFD) } }
        guard userFD >= 0, mountFD >= 0 else {
            throw UnionFSError.mount("cannot open the namespaces of process \(pid): \(String(cString: strerror(errno)))")
        }
        guard hutch_setns(userFD, HUTCH_CLONE_NEWUSER) == 0, hutch_setns(mountFD, HUTCH_CLONE_NEWNS) == 0 else {
            throw UnionFSError.mount("cannot join the namespaces of process \(pid): \(String(cString: strerror(errno)))")
        }
        // The container's mounts are still slaves of the host's: the host
        // mount hutch lets go of next must not take ours with it. (The
        // container's init makes them private first thing anyway.)
        guard Glibc.mount(nil, "/", nil, UInt(MS_REC | MS_PRIVATE), nil) == 0 else {
            throw UnionFSError.mount("cannot make the container's mounts private: \(String(cString: strerror(errno)))")
        }
        joined = true
    }

    /// Unmounts lazily: directly when we mounted as root of a user
    /// namespace, else through fusermount3.
    static func unmount() {
        if umount2(mountpoint, Int32(MNT_DETACH)) != 0 && !joined {
            var pid = pid_t()
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup("fusermount3"), strdup("-u"), strdup("-z"), strdup(mountpoint), nil]
            defer { argv.forEach { free($0) } }
            if posix_spawnp(&pid, "fusermount3", nil, nil, argv, hutch_environ()) == 0 {
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
        }
        // hutch's daemons (watch_pid, or joined to a container) end here: a
        // container's namespace holds a copy of the mount, which would keep
        // the session open after this one is gone.
        if joined || watching {
            served?.fillStubs()
            _exit(0)
        }
    }

    static func signalWatcher() {
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&set, s) }
        var sig: Int32 = 0
        sigwait(&set, &sig)
        unmount()
    }

    /// Unmounts when `pid` exits: the process holding a container's
    /// namespaces, so a killed container leaves no daemon behind.
    static func watch(pid: Int32) {
        let pfd = hutch_pidfd_open(pid)
        if pfd < 0 { unmount(); return }
        startThread {
            var p = pollfd(fd: pfd, events: Int16(POLLIN), revents: 0)
            while poll(&p, 1, -1) < 0 && errno == EINTR {}
            unmount()
        }
    }
}

private final class ThreadBody { let run: () -> Void; init(_ r: @escaping () -> Void) { run = r } }

func startThread(_ body: @escaping () -> Void) {
    var tid = pthread_t()
    let ctx = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    pthread_create(&tid, nil, { raw in
        let b = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
        b.run()
        return nil
    }, ctx)
    pthread_detach(tid)
}
