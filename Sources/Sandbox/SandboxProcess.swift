import CSandbox
#if canImport(Glibc)
import Glibc
#endif

/// A started container: its init's pid (in hutch's PID namespace) and, with
/// a terminal, the pty master to relay. Reused by detached containers.
public final class SandboxProcess {
    public let pid: pid_t
    /// The pty master, -1 without a terminal. Owned by this object.
    public private(set) var terminalMaster: Int32
    private var exitStatus: Int32?

    init(pid: pid_t, terminalMaster: Int32) {
        self.pid = pid
        self.terminalMaster = terminalMaster
    }

    deinit { if terminalMaster >= 0 { close(terminalMaster) } }

    /// Starts the container and returns once its command is exec'd; a setup
    /// or exec failure throws with Docker's message and exit code, and
    /// leaves nothing running (a dead child's namespaces and mounts go with it).
    /// `afterIDMaps` runs in the parent once the child's namespaces exist
    /// and its id maps are written, before the child goes on to mount and
    /// exec: the Containers module attaches pasta and the cgroup there.
    public static func spawn(_ spec: SandboxSpec, afterIDMaps: ((pid_t) throws -> Void)? = nil) throws -> SandboxProcess {
        var master: Int32 = -1, slave: Int32 = -1, consolePath: String?
        if spec.stdio == .terminal {
            (master, slave, consolePath) = try Terminal.openPair()
        }
        defer { if slave >= 0 { close(slave) } }
        var stdinFD: Int32 = -1
        if spec.stdio == .inherit && !spec.interactive {
            stdinFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
        }
        defer { if stdinFD >= 0 { close(stdinFD) } }
        var listener = try DescriptorChannel.seccompListener(of: spec)
        defer { listener?.close() }
        do {
            let operations = try MountPlan.operations(for: spec, consolePath: consolePath)
            let cspec = CSpec(spec, operations: operations, ttyFD: slave, stdinFD: stdinFD,
                              waitForRelease: afterIDMaps != nil, listenerSocket: listener?.childEnd ?? -1)
            var child = csandbox_child()
            let rc = withExtendedLifetime(cspec) { () -> Int32 in
                var s = cspec.spec
                return csandbox_spawn(&s, &child)
            }
            listener?.closeChildEnd()
            guard rc == 0 else {
                throw SandboxError.setup("cannot create the container's namespaces: \(SystemFiles.describe(-rc))\(namespaceHint(-rc))")
            }
            // Without helpers the child writes its own maps; with a hook (pasta,
            // cgroups) it waits for csandbox_release all the same, so the
            // command never runs before its network is up.
            do {
                if spec.idMappings.useHelpers {
                    try writeIDMaps(spec.idMappings, pid: child.pid)
                } else if afterIDMaps != nil, !ownIDMapsWritten(pid: child.pid, errorFD: child.error_fd) {
                    // The child writes its own maps without telling: a hook that joined
                    // its user namespace before then would be nobody there. It failed.
                    var failure = csandbox_error()
                    throw csandbox_release(&child, &failure) != 0 ? translate(failure)
                        : SandboxError.setup("the container's process did not write its user id maps within 10 s")
                }
                try afterIDMaps?(child.pid)
            } catch {
                close(child.sync_fd); close(child.error_fd)
                reap(child.pid)
                throw error
            }
            var failure = csandbox_error()
            if csandbox_release(&child, &failure) != 0 {
                reap(child.pid)
                throw translate(failure)
            }
            do { try listener?.deliver(to: spec.seccompListener) } catch { reap(child.pid); throw error }
            return SandboxProcess(pid: child.pid, terminalMaster: master)
        } catch {
            if master >= 0 { close(master) }
            throw error
        }
    }

    /// Waits until the child `pid` has written its uid_map and gid_map (it
    /// does so at once, before waiting to be released): false when it
    /// reported a failure instead (`errorFD` readable) or after 10 s.
    static func ownIDMapsWritten(pid: pid_t, errorFD: Int32) -> Bool {
        func written(_ name: String) -> Bool {
            let fd = open("/proc/\(pid)/\(name)", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            var byte: UInt8 = 0
            return read(fd, &byte, 1) == 1
        }
        for _ in 0..<10_000 {
            if written("uid_map") && written("gid_map") { return true }
            var p = pollfd(fd: errorFD, events: Int16(POLLIN), revents: 0)
            if Glibc.poll(&p, 1, 1) > 0 { return false }   // an error report, or the child is gone
        }
        return false
    }

    /// Sends a signal to the container's init, which forwards it to the command.
    public func signal(_ sig: Int32) { if exitStatus == nil { kill(pid, sig) } }

    /// Waits for the container to end; its command's exit code, or 128+N
    /// when it died of signal N.
    public func wait() -> Int32 {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = SandboxProcess.exitCode(status)
        exitStatus = code
        return code
    }

    /// Non-blocking wait: nil while the container runs.
    public func poll() -> Int32? {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        exitStatus = SandboxProcess.exitCode(status)
        return exitStatus
    }

    static func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        if signal == 0 { return (status >> 8) & 0xff }
        return 128 + signal
    }

    static func reap(_ pid: pid_t) {
        var status: Int32 = 0
        kill(pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    private static func namespaceHint(_ err: Int32) -> String {
        guard err == EPERM || err == ENOSPC || err == EACCES else { return "" }
        return " (user namespaces may be disabled: see `hutch info`)"
    }

    /// With a subordinate range, newuidmap and newgidmap write the maps,
    /// side by side. (Without one the child writes its own one-line maps.)
    static func writeIDMaps(_ maps: IDMappings, pid: pid_t) throws {
        let uidArgs = ["/usr/bin/newuidmap", String(pid)] + IDMappings.helperArguments(maps.uids)
        let gidArgs = ["/usr/bin/newgidmap", String(pid)] + IDMappings.helperArguments(maps.gids)
        let uidHelper = try spawnHelper(uidArgs)
        let gidHelper = try? spawnHelper(gidArgs)
        let uidOK = waitHelper(uidHelper)
        let gidOK = gidHelper.map(waitHelper) ?? false
        guard uidOK, gidOK else {
            throw SandboxError.setup("\(uidOK ? "newgidmap" : "newuidmap") failed to write the id map of the container (check your ranges in /etc/subuid and /etc/subgid, and that the uidmap package is installed)")
        }
    }

    private static func spawnHelper(_ argv: [String]) throws -> pid_t {
        var cargs = argv.map { strdup($0) }
        cargs.append(nil)
        defer { for p in cargs { free(p) } }
        let pid = cargs.withUnsafeBufferPointer { csandbox_spawn_helper($0.baseAddress!) }
        guard pid > 0 else {
            throw SandboxError.setup("cannot run \(argv[0]): \(SystemFiles.describe(-pid)) (install Debian's uidmap package)")
        }
        return pid
    }

    private static func waitHelper(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status == 0
    }

    /// A failure record from the child as the user reads it, Docker-worded.
    static func translate(_ e: csandbox_error) -> SandboxError {
        let detail = withUnsafeBytes(of: e.detail) { raw -> String in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        let reason = SystemFiles.describe(e.err)
        switch UInt32(e.stage) {
        case CSANDBOX_STAGE_EXEC_NOT_FOUND.rawValue:
            return .commandNotFound("exec: \"\(detail)\": executable file not found in $PATH")
        case CSANDBOX_STAGE_EXEC.rawValue:
            if e.err == ENOENT { return .commandNotFound("exec: \"\(detail)\": stat \(detail): no such file or directory") }
            return .commandNotExecutable("exec: \"\(detail)\": \(reason)")
        case CSANDBOX_STAGE_MOUNT.rawValue: return .setup("cannot \(detail): \(reason)")
        case CSANDBOX_STAGE_HOSTNAME.rawValue: return .setup("cannot set the hostname \(detail): \(reason)")
        case CSANDBOX_STAGE_NETWORK.rawValue: return .setup("cannot bring up the loopback interface: \(reason)")
        case CSANDBOX_STAGE_RLIMIT.rawValue: return .setup("cannot set a --ulimit: \(reason) (a hard limit cannot go above the host's)")
        case CSANDBOX_STAGE_WORKDIR.rawValue: return .setup("cannot chdir to working directory \(detail): \(reason)")
        case CSANDBOX_STAGE_USER.rawValue, CSANDBOX_STAGE_GROUPS.rawValue: return .setup("cannot switch to the container's user (\(detail)): \(reason)")
        case CSANDBOX_STAGE_CAPS.rawValue: return .setup("cannot set capabilities (\(detail)): \(reason)")
        case CSANDBOX_STAGE_SECCOMP.rawValue: return .setup("cannot load the seccomp filter: \(reason)")
        case CSANDBOX_STAGE_IDMAP.rawValue: return .setup("cannot write the container's id map: \(reason)")
        case CSANDBOX_STAGE_SYNC.rawValue: return .setup("the container's init stopped before it started the command")
        case CSANDBOX_STAGE_JOIN.rawValue: return .setup("cannot join the container's \(detail) namespace: \(reason)")
        case CSANDBOX_STAGE_CGROUP.rawValue: return .setup("cannot join the container's cgroup: \(reason)")
        default: return .setup("cannot start the container (\(detail)): \(reason)")
        }
    }
}
