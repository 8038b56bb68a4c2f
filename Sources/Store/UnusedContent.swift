import Foundation
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// Which blobs and layers are in use, and removing those that stopped being.
/// In use: everything an image record names, and the config and layers of
/// the image of every container (an image `rmi -f` deleted while stopped
/// containers used it keeps its config blob and layers for them).
extension Store {
    var journalDirectory: String { root + "/journal" }

    /// Blobs and layers images and containers need (call holding the lock).
    func usedContent() -> (blobs: Set<Digest>, layers: Set<Digest>) {
        var blobs = Set<Digest>(), layers = Set<Digest>()
        for record in (try? images.load().images.values).map(Array.init) ?? [] {
            blobs.formUnion([record.id, record.manifestDigest])
            if let m = try? manifest(of: record) { blobs.formUnion(m.layers.map(\.digest)) }
            if let c = try? config(of: record.id) { layers.formUnion(c.rootfs.diffIDs) }
        }
        for imageID in Set(containers.all().map(\.imageID)) where !blobs.contains(imageID) {
            blobs.insert(imageID)
            if let c = try? config(of: imageID) { layers.formUnion(c.rootfs.diffIDs) }
        }
        return (blobs, layers)
    }

    /// Deletes these blobs and layers unless an image or container uses them
    /// (another process may have recorded one meanwhile).
    func removeUnreferenced(blobs doomed: Set<Digest>, layers doomedLayers: [Digest]) {
        guard !doomed.isEmpty || !doomedLayers.isEmpty else { return }
        _ = try? withLock {
            let used = usedContent()
            for d in doomedLayers where !used.layers.contains(d) { try? self.layers.delete(d) }
            for d in doomed where !used.blobs.contains(d) { blobs.delete(d) }
        }
    }

    /// What imports and loads killed midway had added (their journals):
    /// removed unless something uses it now.
    func collectAbandonedAdditions() {
        AdditionJournal.collectAbandoned(in: journalDirectory) { blobs, layers in
            removeUnreferenced(blobs: blobs, layers: layers)
        }
    }

    /// Called once a container made from image `imageID` is removed: when
    /// that image was deleted meanwhile (`rmi -f` while stopped containers
    /// used it) and no container uses it any more, its layers no image needs
    /// and its config blob go, as `rmi` would have removed them. Returns the
    /// layers deleted.
    @discardableResult
    public func releaseImage(_ imageID: Digest) throws -> [Digest] {
        try withLock {
            guard try images.load().record(imageID) == nil,
                  !containers.all().contains(where: { $0.imageID == imageID }),
                  let config = try? config(of: imageID) else { return [] }
            let used = usedContent()
            var deleted: [Digest] = []
            for diffID in config.rootfs.diffIDs.reversed() where !used.layers.contains(diffID) && !deleted.contains(diffID) {
                if layers.contains(diffID) {
                    try layers.delete(diffID)
                    deleted.append(diffID)
                }
            }
            if !used.blobs.contains(imageID) { blobs.delete(imageID) }
            return deleted
        }
    }
}

extension Store {
    /// `releaseImage` for the store at `storeRoot`, cheap in the usual case
    /// (the image is still recorded: one read of images.json, no store opened),
    /// for the end of every `run --rm`.
    public static func releaseImage(_ imageID: Digest, storeRoot: String) throws {
        let table = (try? readFileIfPresent(storeRoot + "/images.json")) ?? nil
        if let table, table.range(of: Data(imageID.hex.utf8)) != nil { return }
        guard access(storeRoot + "/blobs/sha256/" + imageID.hex, F_OK) == 0 else { return }
        try Store(location: StoreLocation(root: storeRoot, source: "containers")).releaseImage(imageID)
    }
}
