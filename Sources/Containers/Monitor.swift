import Foundation
import UnionFS
#if canImport(Glibc)
import Glibc
#endif

/// The process that watches one container (the role conmon plays for
/// podman): started detached by `run -d`/`start` as `hutch container-monitor
/// ID`, in a session of its own so closing the terminal does not end it. It
/// owns the container's stdout and stderr, writes them to ctr.log as json
/// lines, records the exit code and time, and stops the helpers (pasta,
/// the union filesystem) when the container ends.
public final class Monitor {
    let repository: ContainerRepository
    let id: String
    let launcher: ContainerLauncher

    public init(repository: ContainerRepository, id: String, launcher: ContainerLauncher) {
        self.repository = repository
        self.id = id
        self.launcher = launcher
    }

    /// Runs the container to its end. `report` is the pipe the starting
    /// command waits on: "OK" once the command runs, or "ERR code message".
    public func run(report: Int32) -> Int32 {
        signal(SIGHUP, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        let folder = repository.folder(id)
        guard let lock = try? Flock(path: folder + "/monitor.lock"), lock.tryLock() else {
            send(report, "ERR 125 container \(id) is already being started")
            return 125
        }
        let config: ContainerConfig
        do { config = try repository.load(id).config } catch {
            send(report, "ERR 125 \(error)")
            return 125
        }

        var helpers: [ProcessIdentity] = []
        var cgroup: String?
        var mount: UnionMount?
        let logFD = open(repository.logPath(id), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        var out: [Int32] = [0, 0], err: [Int32] = [0, 0]
        _ = Subprocess.cloexecPipe(&out)
        _ = Subprocess.cloexecPipe(&err)
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)

        let launched: LaunchedContainer
        let ports: [PortMapping]
        do {
            let others = repository.all().filter { $0.id != id && $0.state.status == .running }
            ports = try PortCheck.prepare(config.ports, taken: Set(others.flatMap { $0.state.ports.map(\.hostPort) }))
            if !config.limits.isEmpty {
                cgroup = try CgroupDelegation.find().createCgroup(for: id, limits: config.limits)
            }
            try NetworkSetup.writeFiles(config: config, folder: folder)
            // The union filesystem follows the monitor: a kill -9 of it leaves no mount.
            if case .image(let layers) = config.root { mount = try ImageRootfs.mount(layers: layers, folder: folder) }
            // The launcher gives the container this socket when it needs a chown supervisor.
            let chownSocket = config.root.isImage ? try ChownSupervision.socketPath(for: config.id) : nil
            let request = LaunchRequest(config: config, folder: folder, stdin: devNull, stdout: out[1], stderr: err[1]) { pid in
                try ImageRootfs.handOver(&mount, of: config, folder: folder, to: pid, controlSocket: chownSocket)
                if let cgroup { try CgroupDelegation.addProcess(pid, to: cgroup) }
                if config.network == "private" {
                    helpers.append(try PrivateNetwork.attach(pid: pid, ports: ports, folder: folder))
                }
            }
            launched = try launcher.launch(request)
        } catch {
            close(out[1]); close(err[1])
            for h in helpers { h.signal(SIGTERM) }
            if let cgroup { CgroupDelegation.remove(cgroup) }
            if let mount { try? mount.unmount() }
            let code = (error as? ExitCoded)?.exitCode ?? 125
            let recorded = try? repository.updateState(id) { s in
                s.status = s.startedAt == nil ? .created : .exited
                s.exitCode = code
                s.error = "\(error)"
                s.monitorPid = 0
            }
            StoreRecords.save(config, status: recorded?.status ?? .created, storeRoot: repository.storeRoot)
            send(report, "ERR \(code) \(error)")
            if config.autoRemove { repository.delete(id) }
            return code
        }
        close(out[1]); close(err[1]); close(devNull)

        _ = try? repository.updateState(id) { $0.markRunning(pid: launched.pid, ports: ports, helpers: helpers) }
        StoreRecords.save(config, status: .running, storeRoot: repository.storeRoot)
        send(report, "OK \(launched.pid)")
        close(report)

        // With -t, everything the container writes comes through its pty as
        // one stream, logged as stdout (as Docker logs a tty container); the
        // pipes were not given to it and end at once.
        var output = out[0]
        if launched.terminal >= 0 {
            let terminal = fcntl(launched.terminal, F_DUPFD_CLOEXEC, 0)
            if terminal >= 0 { close(out[0]); output = terminal }
        }
        relayOutput(stdout: output, stderr: err[0], log: logFD)
        let code = launched.wait()
        for h in helpers { h.signal(SIGTERM) }
        if let cgroup { CgroupDelegation.remove(cgroup) }
        if let mount { try? mount.unmount() }
        _ = try? repository.updateState(id) { s in
            s.status = .exited
            s.exitCode = code
            s.finishedAt = Date()
            s.helpers = []
            s.monitorPid = 0
        }
        if config.autoRemove {
            repository.deleteAfterWaiters(id)
        } else {
            StoreRecords.save(config, status: .exited, storeRoot: repository.storeRoot)
        }
        close(logFD)
        return 0
    }

    /// Copies both streams into the log until both are closed: the last
    /// process of the container's PID namespace is gone by then.
    func relayOutput(stdout: Int32, stderr: Int32, log: Int32) {
        var splitters = [LogLineSplitter(stream: "stdout"), LogLineSplitter(stream: "stderr")]
        var fds = [pollfd(fd: stdout, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: stderr, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 32768)
        var open = 2
        while open > 0 {
            let n = poll(&fds, nfds_t(fds.count), -1)
            if n < 0 { if errno == EINTR { continue }; break }
            for i in 0..<fds.count where fds[i].fd >= 0 && fds[i].revents != 0 {
                let got = buffer.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
                if got < 0 && errno == EINTR { continue }
                let now = HumanTime.rfc3339Nano(HumanTime.now())
                if got <= 0 {
                    if let rest = splitters[i].flush() { write(log, LogEntry(log: rest, stream: splitters[i].stream, time: now)) }
                    close(fds[i].fd)
                    fds[i].fd = -1
                    open -= 1
                    continue
                }
                let lines = buffer.withUnsafeBytes { splitters[i].feed(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
                for line in lines { write(log, LogEntry(log: line, stream: splitters[i].stream, time: now)) }
            }
        }
    }

    private func write(_ fd: Int32, _ entry: LogEntry) {
        let data = entry.encodedLine()
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; return }
                offset += n
            }
        }
    }

    private func send(_ fd: Int32, _ message: String) {
        guard fd >= 0 else { return }
        let line = message + "\n"
        _ = line.withCString { Glibc.write(fd, $0, strlen($0)) }
    }
}

/// An error that carries the exit code Docker uses for it (126, 127).
public protocol ExitCoded { var exitCode: Int32 { get } }
