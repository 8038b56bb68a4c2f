import CSandbox
#if canImport(Glibc)
import Glibc
#endif

/// `exec`: another process in a running container, joining the namespaces
/// of its init (user, mount, PID, UTS, IPC, network), with the command's
/// part of a spec: argv, environment, user, workdir, capabilities, seccomp
/// filter, rlimits and stdio. The rootfs, mounts, hostname and network of
/// the spec are the container's already and are not used.
extension SandboxProcess {
    /// Starts the command and returns once it is exec'd; a failure throws
    /// with Docker's message and code (126, 127 as for `run`). `cgroup`: a
    /// cgroup v2 folder (the container's, when it has limits) the process
    /// is in before its command runs.
    public static func spawn(_ spec: SandboxSpec, joining initPID: pid_t, cgroup: String? = nil) throws -> SandboxProcess {
        let fds = try namespaceDescriptors(of: initPID)
        defer { for fd in fds where fd >= 0 { close(fd) } }
        var cgroupProcs: Int32 = -1
        if let cgroup {
            cgroupProcs = open(cgroup + "/cgroup.procs", O_WRONLY | O_CLOEXEC)
            guard cgroupProcs >= 0 else { throw cgroupError(cgroup, errno) }
        }
        defer { if cgroupProcs >= 0 { close(cgroupProcs) } }
        var master: Int32 = -1, slave: Int32 = -1
        // The host's pty is the fallback; the joiner opens one in the container's
        // devpts and sends its master back over `ttyChannel`.
        var ttyChannel: DescriptorChannel?
        if spec.stdio == .terminal {
            (master, slave, _) = try Terminal.openPair()
            ttyChannel = try? DescriptorChannel.make()
        }
        defer {
            if slave >= 0 { close(slave) }
            ttyChannel?.close()
        }
        var stdinFD: Int32 = -1
        if spec.stdio == .inherit && !spec.interactive { stdinFD = open("/dev/null", O_RDONLY | O_CLOEXEC) }
        defer { if stdinFD >= 0 { close(stdinFD) } }
        var listener = try DescriptorChannel.seccompListener(of: spec)
        defer { listener?.close() }
        do {
            let cspec = CSpec(spec, operations: [], ttyFD: slave, stdinFD: stdinFD, listenerSocket: listener?.childEnd ?? -1,
                              execTTYSocket: ttyChannel?.childEnd ?? -1)
            var child = csandbox_child()
            let rc = withExtendedLifetime(cspec) { () -> Int32 in
                var s = cspec.spec
                return fds.withUnsafeBufferPointer { csandbox_exec_spawn(&s, $0.baseAddress, cgroupProcs, &child) }
            }
            listener?.closeChildEnd()
            guard rc == 0 else { throw SandboxError.setup("cannot start a process in the container: \(SystemFiles.describe(-rc))") }
            // The joiner has exited: its pty master is in the channel, or it kept the host's.
            if let own = ttyChannel?.receive(), own >= 0 {
                close(master)
                master = own
                Terminal.copyWindowSize(to: master)
            }
            var failure = csandbox_error()
            if csandbox_release(&child, &failure) != 0 || child.pid <= 0 {
                if child.pid > 0 {
                    var status: Int32 = 0
                    while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {}
                }
                if let cgroup, UInt32(failure.stage) == CSANDBOX_STAGE_CGROUP.rawValue { throw cgroupError(cgroup, failure.err) }
                throw translate(failure)
            }
            do { try listener?.deliver(to: spec.seccompListener) } catch { reap(child.pid); throw error }
            return SandboxProcess(pid: child.pid, terminalMaster: master)
        } catch {
            if master >= 0 { close(master) }
            throw error
        }
    }

    static func cgroupError(_ cgroup: String, _ err: Int32) -> SandboxError {
        .setup("cannot join the container's cgroup \(cgroup): \(SystemFiles.describe(err))"
               + (err == EACCES || err == EPERM ? " (run hutch exec from the session that started the container, or one in the same delegated cgroup subtree)" : ""))
    }

    /// /proc/PID/ns/* of the container's init, in csandbox's join order; -1
    /// for a namespace hutch shares already (`--network host`: setns to the
    /// host's own network namespace would need host privileges).
    static func namespaceDescriptors(of pid: pid_t) throws -> [Int32] {
        let names = ["user", "mnt", "pid", "uts", "ipc", "net"]
        precondition(names.count == Int(CSANDBOX_JOIN_COUNT.rawValue))
        var fds: [Int32] = []
        for name in names {
            var ours = stat(), theirs = stat()
            let path = "/proc/\(pid)/ns/\(name)"
            guard stat(path, &theirs) == 0 else {
                let e = errno
                for fd in fds where fd >= 0 { close(fd) }
                throw SandboxError.setup("cannot find the container's \(name) namespace (\(path)): \(SystemFiles.describe(e))")
            }
            if stat("/proc/self/ns/\(name)", &ours) == 0 && ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev {
                fds.append(-1)
                continue
            }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                let e = errno
                for fd in fds where fd >= 0 { close(fd) }
                throw SandboxError.setup("cannot open \(path): \(SystemFiles.describe(e))")
            }
            fds.append(fd)
        }
        return fds
    }
}

/// `exec` in the foreground: as `run(_:)`, the terminal relayed and
/// signals forwarded; the command's exit code.
public func exec(_ spec: SandboxSpec, joining initPID: pid_t, cgroup: String? = nil) throws -> Int32 {
    let supervisor = Supervisor()
    let process = try SandboxProcess.spawn(spec, joining: initPID, cgroup: cgroup)
    return supervisor.supervise(process, interactive: spec.interactive)
}
