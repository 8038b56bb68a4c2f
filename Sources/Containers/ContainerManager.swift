import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The lifecycle operations on containers: start (through a monitor),
/// stop, kill, remove, wait. No daemon: each reads and writes the state
/// files, and the monitor of each container records what happens to it.
public struct ContainerManager {
    public let repository: ContainerRepository
    /// `hutch` itself, re-executed as `hutch container-monitor`.
    public let executable: String
    public let storeRoot: String

    public init(storeRoot: String, executable: String = ContainerManager.selfExecutable()) throws {
        self.storeRoot = storeRoot
        self.repository = try ContainerRepository(storeRoot: storeRoot)
        self.executable = executable
    }

    public static func selfExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Records a new container (and, for an image's, the Store's record
    /// that makes `rmi` refuse the image while the container exists).
    public func create(_ config: ContainerConfig) throws {
        try repository.create(config)
        StoreRecords.save(config, status: .created, storeRoot: storeRoot)
    }

    /// Starts the container's monitor, detached, and waits until the
    /// container's command runs (or failed to): a start failure is thrown
    /// here with the container's exit code (125, 126, 127).
    public func start(_ id: String) throws {
        var fds: [Int32] = [0, 0]
        guard Subprocess.cloexecPipe(&fds) else { throw ContainerError.monitor("pipe: \(String(cString: strerror(errno)))") }
        let pid = Subprocess.spawnDetached([executable, "container-monitor", "--root", storeRoot, id], extraFD: fds[1])
        close(fds[1])
        defer { close(fds[0]) }
        guard pid > 0 else { throw ContainerError.monitor("cannot start the container's monitor \(executable): \(String(cString: strerror(-pid)))") }
        var reply = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            reply += buffer[0..<n]
            if reply.contains(0x0a) && reply.starts(with: Array("OK".utf8)) { break }
        }
        // The monitor is our child until we exit; it has its own session, and
        // reaping it here would only matter if it ended right away.
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
        let text = String(decoding: reply, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("OK") { return }
        if text.hasPrefix("ERR ") {
            let rest = text.dropFirst(4)
            let code = Int32(rest.prefix { $0.isNumber }) ?? 125
            let message = rest.drop { $0.isNumber }.drop { $0 == " " }
            throw StartError(message: String(message), exitCode: code)
        }
        throw ContainerError.monitor("the container's monitor ended before the container started\(text.isEmpty ? "" : ": " + text)")
    }

    /// Sends the stop signal, waits up to `timeout` seconds, then SIGKILL.
    public func stop(_ container: Container, timeout: Int? = nil) throws {
        guard container.state.status == .running else { return }
        let sig = (try? Signals.parse(container.config.stopSignal)) ?? SIGTERM
        let identity = ProcessIdentity(pid: container.state.pid, startTime: container.state.pidStartTime)
        identity.signal(sig)
        if waitForExit(container.id, timeout: TimeInterval(timeout ?? 10)) { return }
        identity.signal(SIGKILL)
        _ = waitForExit(container.id, timeout: 10)
    }

    public func kill(_ container: Container, signal: Int32) throws {
        guard container.state.status == .running else {
            throw ContainerError.invalidOption("cannot kill container: \(container.name): container \(container.id) is not running")
        }
        let identity = ProcessIdentity(pid: container.state.pid, startTime: container.state.pidStartTime)
        guard identity.signal(signal) else {
            throw ContainerError.invalidOption("cannot kill container: \(container.name): container \(container.id) is not running")
        }
    }

    /// Removes a container; a running one only with `force` (killed first).
    /// Whatever a killed monitor left (pasta, cgroup, the log) goes too.
    public func remove(_ container: Container, force: Bool) throws {
        if container.state.status == .running {
            guard force else {
                throw ContainerError.running(container.id)
            }
            ProcessIdentity(pid: container.state.pid, startTime: container.state.pidStartTime).signal(SIGKILL)
            _ = waitForExit(container.id, timeout: 10)
        }
        // Let a live monitor finish recording before its folder goes.
        let deadline = Date().addingTimeInterval(10)
        while repository.monitorAlive(container.id) && Date() < deadline { usleep(10_000) }
        for helper in container.state.helpers { helper.signal(SIGKILL) }
        ImageRootfs.unmountLeftover(folder: repository.folder(container.id))
        CgroupDelegation.remove(CgroupDelegation.containerCgroupPath(id: container.id))
        repository.delete(container.id)
    }

    /// Blocks until the container is not running; its exit code.
    public func wait(_ id: String) throws -> Int32 {
        // Held until the code is read: a --rm container is removed only then.
        let waiters = try? Flock(path: repository.folder(id) + "/waiters.lock", create: false)
        waiters?.lock(exclusive: false)
        while true {
            let c = try repository.load(id)
            if c.state.status != .running && !(c.state.status == .created && repository.monitorAlive(id)) {
                return c.state.exitCode
            }
            usleep(20_000)
        }
    }

    /// True once the container is recorded (or found) as ended within `timeout`.
    func waitForExit(_ id: String, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            guard let c = try? repository.load(id) else { return true }
            if c.state.status != .running { return true }
            usleep(10_000)
        } while Date() < deadline
        return false
    }
}

/// A container that could not start: Docker's message and exit code.
public struct StartError: Error, CustomStringConvertible, ExitCoded {
    public var message: String
    public var exitCode: Int32
    public var description: String { message }
}
