import CSandbox
#if canImport(Glibc)
import Glibc
#endif

/// Waits for the container with signals taken as events (signalfd), so a
/// SIGTERM to hutch reaches the container and the terminal is always restored.
final class Supervisor {
    static let forwarded: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
    private let signalFD: Int32
    private var savedMask = sigset_t()

    /// Blocks the signals before the container starts, so none is lost.
    init() {
        var set = sigset_t()
        sigemptyset(&set)
        for sig in Supervisor.forwarded + [SIGCHLD, SIGWINCH, SIGPIPE] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_BLOCK, &set, &savedMask)
        signalFD = signalfd(-1, &set, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
    }

    /// Signals that came in for the container are used up here, so that a
    /// caller that goes on (a build's next step) gets its own mask back intact.
    deinit {
        var info = signalfd_siginfo()
        while read(signalFD, &info, MemoryLayout<signalfd_siginfo>.size) > 0 {}
        close(signalFD)
        pthread_sigmask(SIG_SETMASK, &savedMask, nil)
    }

    func supervise(_ process: SandboxProcess, interactive: Bool) -> Int32 {
        let master = process.terminalMaster
        if master >= 0 && interactive { RawMode.enter() }
        defer { RawMode.restore() }
        var relayStdin = master >= 0 && interactive
        var buffer = [UInt8](repeating: 0, count: 16384)
        var exitCode: Int32?
        // SIGCHLD alone is not enough: in a process with other threads (a
        // build, a test runner, Foundation's Process) another thread may take
        // it. The pidfd turns readable when the container's init exits.
        let pidFD = csandbox_pidfd_open(process.pid)
        defer { if pidFD >= 0 { close(pidFD) } }
        while true {
            var fds = [pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)]
            if pidFD >= 0 && exitCode == nil { fds.append(pollfd(fd: pidFD, events: Int16(POLLIN), revents: 0)) }
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
                } else if entry.fd == pidFD {
                    exitCode = process.poll() ?? exitCode
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
                    if got <= 0 {
                        // The terminal hung up: ^D, an end of input for the reader.
                        relayStdin = false
                        writeAll(master, [4], 1)
                        continue
                    }
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
