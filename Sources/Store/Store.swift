import Foundation
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// hutch's on-disk state (see docs/storage.md for the layout):
///
///     <root>/store.lock           flock: held while metadata changes
///     <root>/blobs/sha256/<hex>   manifests, configs, compressed layers
///     <root>/layers/<diffID hex>/ one unpacked layer: diff/ + layer.json
///     <root>/images.json          image records and tags, replaced atomically
///     <root>/containers/<id>/     container.json and the container's files
public final class Store: @unchecked Sendable {
    public let location: StoreLocation
    public var root: String { location.root }
    public let blobs: BlobStore
    public let layers: LayerStore
    public let images: ImageStore
    public let containers: ContainerStore
    let lock: FileLock

    /// Opens (creating when needed) the store at `location`, and clears what
    /// a killed process left half done.
    public init(location: StoreLocation) throws {
        self.location = location
        let root = location.root
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        lock = try FileLock(path: root + "/store.lock")
        blobs = try BlobStore(directory: root + "/blobs")
        layers = try LayerStore(directory: root + "/layers", lock: lock)
        containers = try ContainerStore(directory: root + "/containers")
        images = ImageStore(path: root + "/images.json")
        try makeDirectory(root + "/journal", mode: 0o700)
        blobs.collectLeftovers()
        layers.collectLeftovers()
        AtomicFile.collectLeftovers(in: root)
        collectAbandonedAdditions()
    }

    /// Opens the store the CLI flags and environment name.
    public static func open(rootOverride: String? = nil) throws -> Store {
        try Store(location: StoreLocation.resolve(rootOverride: rootOverride))
    }

    /// Runs `body` holding the store lock: every change to images.json, to
    /// the set of layers and to blob deletion happens inside one.
    public func withLock<T>(_ body: () throws -> T) throws -> T {
        try lock.withLock(body)
    }
}
