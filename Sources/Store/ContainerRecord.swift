import Foundation
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// What the store knows about a container: enough for `rmi` to refuse
/// removing an image a container uses. The Containers module owns the rest
/// of the folder `containers/<id>/` and may add fields here.
public struct ContainerRecord: Codable, Hashable, Sendable {
    public enum State: String, Codable, Sendable {
        case created, running, paused, restarting, exited, dead
    }

    /// 64 hex digits; Docker shows the first 12.
    public var id: String
    public var name: String
    public var imageID: Digest
    /// The name the user gave (`python`, `pythontest:latest`), for `ps`.
    public var imageName: String
    public var created: Date
    public var state: State

    public init(id: String, name: String, imageID: Digest, imageName: String, created: Date = Date(),
                state: State = .created) {
        self.id = id
        self.name = name
        self.imageID = imageID
        self.imageName = imageName
        self.created = created
        self.state = state
    }

    public var shortID: String { String(id.prefix(12)) }

    /// A fresh random 64-hex-digit ID.
    public static func newID() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }
}

/// `containers/<id>/container.json`, each written atomically.
public final class ContainerStore: @unchecked Sendable {
    public let directory: String

    init(directory: String) throws {
        self.directory = directory
        try makeDirectory(directory, mode: 0o700)
    }

    public func folder(for id: String) -> String { directory + "/" + id }

    public func save(_ record: ContainerRecord) throws {
        try makeDirectory(folder(for: record.id), mode: 0o700)
        try AtomicFile.write(try JSONEncoder.store.encode(record), to: folder(for: record.id) + "/container.json")
    }

    public func load(_ id: String) throws -> ContainerRecord? {
        guard let data = try readFileIfPresent(folder(for: id) + "/container.json") else { return nil }
        do { return try JSONDecoder.store.decode(ContainerRecord.self, from: data) } catch {
            throw StoreError.corrupt("\(error)", path: folder(for: id) + "/container.json")
        }
    }

    /// Every container with a readable record (a folder without one is a
    /// container being created, or the leftover of a kill, and is skipped).
    public func all() -> [ContainerRecord] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted().compactMap { try? load($0) }
    }

    /// Removes the record first, so a crash midway leaves no half container.
    public func remove(_ id: String) throws {
        unlink(folder(for: id) + "/container.json")
        try removeTree(folder(for: id))
    }
}
