import CSandbox
#if canImport(Glibc)
import Glibc
#endif

/// Runs a container in the foreground, as `hutch run` does: relays the
/// terminal (`-t`), forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and
/// SIGUSR2 to the container, and returns its exit code (128+N for signal N).
/// `afterIDMaps` is `SandboxProcess.spawn`'s hook (pasta, cgroups);
/// `started` is called once the command runs (to record the container's pid).
public func run(_ spec: SandboxSpec, afterIDMaps: ((pid_t) throws -> Void)? = nil,
                started: ((SandboxProcess) -> Void)? = nil) throws -> Int32 {
    let supervisor = Supervisor()
    let process = try SandboxProcess.spawn(spec, afterIDMaps: afterIDMaps)
    started?(process)
    return supervisor.supervise(process, interactive: spec.interactive)
}

extension SandboxSpec {
    /// `Sandbox.run(self)`.
    public func run() throws -> Int32 { try Sandbox.run(self) }
    /// `SandboxProcess.spawn(self)`.
    public func spawn() throws -> SandboxProcess { try SandboxProcess.spawn(self) }
}

/// Waits for the container with signals taken as events (signalfd), so a
/// SIGTERM to hutch reaches the container and the terminal is always restored.
final class Supervisor {
    static let forwarded: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
    private let signalFD: Int32

    /// Blocks the signals before the container starts, so none is lost.
    init() {
        var set = sigset_t()
        sigemptyset(&set)
        for sig in Supervisor.forwarded + [SIGCHLD, SIGWINCH, SIGPIPE] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        signalFD = signalfd(-1, &set, Int32(SFD_CLOEXEC))
    }

    deinit { close(signalFD) }

    func supervise(_ process: SandboxProcess, interactive: Bool) -> Int32 {
        let master = process.terminalMaster
        if master >= 0 && interactive { RawMode.enter() }
        defer { RawMode.restore() }
        var relayStdin = master >= 0 && interactive
        var buffer = [UInt8](repeating: 0, count: 16384)
        var exitCode: Int32?
        while true {
            var fds = [pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)]
            if master >= 0 { fds.append(pollfd(fd: master, events: Int16(POLLIN), revents: 0)) }
            if relayStdin { fds.append(pollfd(fd: 0, events: Int16(POLLIN), revents: 0)) }
            // Once the container is gone, only its last output is left to read.
            if exitCode != nil { fds.removeFirst() }
            if exitCode != nil && master < 0 { break }
            let n = Glibc.poll(&fds, nfds_t(fds.count), exitCode == nil ? -1 : 0)
            if n < 0 { if errno == EINTR { continue }; break }
            if n == 0 { break } // drained
            for entry in fds where entry.revents != 0 {
                if entry.fd == signalFD {
                    exitCode = handleSignal(process) ?? exitCode
                } else if entry.fd == master {
                    let got = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
                    if got <= 0 {
                        if got < 0 && errno == EINTR { continue }
                        // EIO: every slave closed, the container is done writing.
                        if exitCode == nil { exitCode = process.wait() }
                        return exitCode!
                    }
                    writeAll(1, buffer, got)
                } else if entry.fd == 0 {
                    let got = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                    if got <= 0 { relayStdin = false; continue }
                    writeAll(master, buffer, got)
                }
            }
        }
        return exitCode ?? process.wait()
    }

    /// Reads one signal: forwards it, resizes the terminal, or reaps.
    private func handleSignal(_ process: SandboxProcess) -> Int32? {
        var info = signalfd_siginfo()
        let n = read(signalFD, &info, MemoryLayout<signalfd_siginfo>.size)
        guard n == MemoryLayout<signalfd_siginfo>.size else { return nil }
        let sig = Int32(info.ssi_signo)
        switch sig {
        case SIGCHLD: return process.poll()
        case SIGWINCH: if process.terminalMaster >= 0 { Terminal.copyWindowSize(to: process.terminalMaster) }
        case SIGPIPE: break
        default: process.signal(sig)
        }
        return nil
    }

    private func writeAll(_ fd: Int32, _ buffer: [UInt8], _ count: Int) {
        var offset = 0
        while offset < count {
            let w = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + offset, count - offset) }
            if w < 0 { if errno == EINTR { continue }; return }
            offset += w
        }
    }
}
