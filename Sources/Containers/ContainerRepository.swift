import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The containers on disk, one folder each under `<store>/containers/<id>/`:
///
///     config.json    what the container is (ContainerConfig)
///     state.json     what it is doing (ContainerState)
///     state.lock     flock guarding state.json's read-modify-write
///     monitor.lock   held by the monitor for as long as it runs
///     waiters.lock   held shared by each `hutch wait` on the container
///     ctr.log        the json-file log
///     hosts, hostname, resolv.conf   bind-mounted into the container
///     upper/ work/   the container's writable layer (image containers)
public final class ContainerRepository {
    public let directory: String
    /// Held while a name is checked and taken, so two `run --name x` cannot both win.
    private let namesLock: Flock

    public init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        namesLock = try Flock(path: directory + "/.names.lock")
    }

    /// `<root>/containers`.
    public convenience init(storeRoot: String) throws {
        try self.init(directory: storeRoot + "/containers")
    }

    public func folder(_ id: String) -> String { directory + "/" + id }
    /// The store this repository's folder belongs to (`<root>/containers`).
    public var storeRoot: String { (directory as NSString).deletingLastPathComponent }
    public func logPath(_ id: String) -> String { folder(id) + "/ctr.log" }

    /// Every container with a readable config, newest first (as `ps` lists).
    public func all() -> [Container] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter(ContainerID.isValid).compactMap { try? load($0) }
            .sorted { $0.config.created > $1.config.created }
    }

    public func load(_ id: String) throws -> Container {
        guard let data = ContainerFiles.read(folder(id) + "/config.json") else { throw ContainerError.noSuchContainer(id) }
        let config: ContainerConfig
        do { config = try ContainerFiles.decoder.decode(ContainerConfig.self, from: data) } catch {
            throw ContainerError.io("container \(id): unreadable config.json: \(error)")
        }
        var state = ContainerState()
        if let data = ContainerFiles.read(folder(id) + "/state.json"),
           let s = try? ContainerFiles.decoder.decode(ContainerState.self, from: data) {
            state = s
        }
        return Container(config: config, state: reconciled(state, id: id))
    }

    /// The container a name, ID or unique ID prefix means.
    public func resolve(_ query: String) throws -> Container {
        let candidates = all().map { ContainerResolver.Candidate(id: $0.id, name: $0.name) }
        return try load(ContainerResolver.resolve(query, among: candidates).id)
    }

    /// Saves a new container: checks its name is free, under the names lock.
    public func create(_ config: ContainerConfig) throws {
        guard NameGenerator.isValid(config.name) else { throw ContainerError.invalidName(config.name) }
        try namesLock.withLock {
            if let other = all().first(where: { $0.name == config.name }) {
                throw ContainerError.nameInUse(config.name, other.id)
            }
            let dir = folder(config.id)
            guard mkdir(dir, 0o700) == 0 else {
                throw ContainerError.io("cannot create \(dir): \(String(cString: strerror(errno)))")
            }
            try ContainerFiles.writeAtomically(try ContainerFiles.encoder.encode(ContainerState()), to: dir + "/state.json")
            // Made now, so a waiter never creates it in a folder being removed.
            _ = try Flock(path: dir + "/waiters.lock")
            // config.json last: a folder without it is a half-made container, skipped and collected.
            try ContainerFiles.writeAtomically(try ContainerFiles.encoder.encode(config), to: dir + "/config.json")
        }
    }

    /// A name nobody uses yet.
    public func generateName() -> String {
        let taken = Set(all().map(\.name))
        return NameGenerator.generate { taken.contains($0) }
    }

    /// Read-modify-write of state.json under the container's lock.
    @discardableResult
    public func updateState(_ id: String, _ change: (inout ContainerState) throws -> Void) throws -> ContainerState {
        let lock = try Flock(path: folder(id) + "/state.lock")
        return try lock.withLock {
            var state = ContainerState()
            if let data = ContainerFiles.read(folder(id) + "/state.json") {
                state = (try? ContainerFiles.decoder.decode(ContainerState.self, from: data)) ?? state
            }
            try change(&state)
            try ContainerFiles.writeAtomically(try ContainerFiles.encoder.encode(state), to: folder(id) + "/state.json")
            return state
        }
    }

    /// True while the container's monitor process runs.
    public func monitorAlive(_ id: String) -> Bool { Flock.isHeld(folder(id) + "/monitor.lock") }

    /// The state as it really is: a container recorded as running whose
    /// init is gone and whose monitor is gone too (killed) has exited, with
    /// an unknown code.
    func reconciled(_ recorded: ContainerState, id: String) -> ContainerState {
        guard recorded.status == .running else { return recorded }
        let identity = ProcessIdentity(pid: recorded.pid, startTime: recorded.pidStartTime)
        if identity.isAlive || monitorAlive(id) { return recorded }
        var state = recorded
        state.status = .exited
        state.exitCode = -1
        state.finishedAt = state.finishedAt ?? Date()
        return state
    }

    /// Deletes the folder: config.json first, so a crash midway leaves a
    /// folder that is skipped, then collected by `prune`.
    public func delete(_ id: String) {
        let imageID = (try? load(id))?.config.imageID
        unlink(folder(id) + "/config.json")
        ContainerFiles.removeTree(folder(id))
        if let imageID { StoreRecords.release(imageID: imageID, storeRoot: storeRoot) }
    }

    /// Deletes an ended `--rm` container once every `hutch wait` on it has
    /// read the exit code recorded before (they hold waiters.lock shared
    /// while they wait), or after `timeout` seconds: Docker's `wait` gets
    /// the code of an auto-removed container too.
    public func deleteAfterWaiters(_ id: String, timeout: TimeInterval = 10) {
        if let waiters = try? Flock(path: folder(id) + "/waiters.lock", create: false) {
            let deadline = Date().addingTimeInterval(timeout)
            while !waiters.tryLock() && Date() < deadline { usleep(10_000) }
        }
        delete(id)
    }

    /// Folders without a config (a create or delete cut short), removed.
    public func collectLeftovers() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where ContainerID.isValid(name) && ContainerFiles.read(folder(name) + "/config.json") == nil {
            if !monitorAlive(name) { ContainerFiles.removeTree(folder(name)) }
        }
    }
}
