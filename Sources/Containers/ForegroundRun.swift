import Foundation
import Sandbox
import UnionFS
#if canImport(Glibc)
import Glibc
#endif

/// `hutch run` without `-d`: the container runs as hutch's child, on
/// hutch's terminal (a pty of its own with `-t`), as `run --rootfs` does,
/// so `run -it IMAGE bash` is a real terminal. hutch plays the monitor's
/// part meanwhile: it holds `monitor.lock`, records the state (so `ps -a`
/// shows the container, Exited, afterwards), starts pasta for a private
/// network and mounts the image's layers, and undoes all of it at the end.
public struct ForegroundRun {
    public let repository: ContainerRepository
    public let storeRoot: String

    public init(manager: ContainerManager) {
        repository = manager.repository
        storeRoot = manager.storeRoot
    }

    /// Runs the created container `id` to its end: its exit code. A start
    /// failure throws StartError with Docker's code (125, 126, 127).
    /// `interactive`: stdin goes to the container even if it was created
    /// without `-i` (`start -i`).
    public func run(_ id: String, interactive: Bool = false, warnings: (String) -> Void) throws -> Int32 {
        let folder = repository.folder(id)
        let lock = try Flock(path: folder + "/monitor.lock")
        guard lock.tryLock() else { throw StartError(message: "container \(id) is already being started", exitCode: 125) }
        defer { lock.unlock() }
        let config = try repository.load(id).config

        var helpers: [ProcessIdentity] = []
        var cgroup: String?
        var mount: UnionMount?
        func cleanUp() {
            for h in helpers { h.signal(SIGTERM) }
            helpers = []
            if let cgroup { CgroupDelegation.remove(cgroup) }
            cgroup = nil
            if let m = mount { try? m.unmount() }
            mount = nil
        }

        let code: Int32
        do {
            let others = repository.all().filter { $0.id != id && $0.state.status == .running }
            let ports = try PortCheck.prepare(config.ports, taken: Set(others.flatMap { $0.state.ports.map(\.hostPort) }))
            if !config.limits.isEmpty {
                cgroup = try CgroupDelegation.find().createCgroup(for: id, limits: config.limits)
            }
            try NetworkSetup.writeFiles(config: config, folder: folder)
            if case .image(let layers) = config.root {
                mount = try ImageRootfs.mount(layers: layers, folder: folder)
            }
            var spec = try SandboxLauncher.spec(for: config, folder: folder)
            spec.interactive = config.interactive || interactive
            let (chownSocket, warning) = try SandboxLauncher.compileSeccomp(&spec, config: config)
            if let warning { warnings(warning) }
            code = try Sandbox.run(spec, afterIDMaps: { pid in
                try ImageRootfs.handOver(&mount, of: config, folder: folder, to: pid, controlSocket: chownSocket)
                if let cgroup { try CgroupDelegation.addProcess(pid, to: cgroup) }
                if config.network == "private" {
                    helpers.append(try PrivateNetwork.attach(pid: pid, ports: ports, folder: folder))
                }
            }, started: { process in
                _ = try? repository.updateState(id) { $0.markRunning(pid: process.pid, ports: ports, helpers: helpers) }
                StoreRecords.save(config, status: .running, storeRoot: storeRoot)
            })
        } catch {
            cleanUp()
            let startError: StartError
            switch error {
            case let e as StartError: startError = e
            case let e as SandboxError: startError = StartError(e)
            default: startError = StartError(message: "\(error)", exitCode: (error as? ExitCoded)?.exitCode ?? 125)
            }
            finish(config, code: startError.exitCode, error: startError.message)
            throw startError
        }
        cleanUp()
        finish(config, code: code, error: nil)
        return code
    }

    /// Records the end (Docker keeps a container that failed to start, as
    /// Created, with its error), or removes the container for `--rm`.
    func finish(_ config: ContainerConfig, code: Int32, error: String?) {
        let state = try? repository.updateState(config.id) { s in
            s.status = s.startedAt == nil ? .created : .exited
            s.exitCode = code
            s.error = error
            s.finishedAt = s.startedAt == nil ? nil : Date()
            s.helpers = []
            s.monitorPid = 0
        }
        if config.autoRemove {
            // A `hutch wait` on it reads the code first (a failed start has none to wait for).
            if state?.status == .exited { repository.deleteAfterWaiters(config.id) } else { repository.delete(config.id) }
            return
        }
        StoreRecords.save(config, status: state?.status ?? .exited, storeRoot: storeRoot)
    }
}
