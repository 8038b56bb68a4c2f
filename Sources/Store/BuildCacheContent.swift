import Foundation
import OCI

/// The build cache as the store sees it: `<root>/build-cache/<key>` files
/// (written by Builder.BuildCache), each naming the config of the
/// intermediate image a build step produced. Those configs and the layers
/// they list stay in the store for the next build, though no image record
/// names them: `system df` counts them, `system prune` removes them.
public struct BuildCacheEntry: Hashable, Sendable {
    /// The step's cache key (64 hex digits): the entry's file name.
    public var key: String
    /// The intermediate image's config digest.
    public var image: Digest
}

/// What the build cache alone keeps on disk.
public struct BuildCacheUsage: Equatable, Sendable {
    public var entries: Int
    /// Bytes of the layers only cache entries name (those images and
    /// containers use are counted with them).
    public var size: Int64
}

extension Store {
    public var buildCacheDirectory: String { root + "/build-cache" }

    /// Every cache entry with a readable digest, in key order.
    public func buildCacheEntries() -> [BuildCacheEntry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: buildCacheDirectory)) ?? []
        return names.sorted().compactMap { name in
            // A half-written entry is `<key>.tmp-<pid>`; a whole one is only hex.
            guard name.count == 64, name.allSatisfy(\.isHexDigit),
                  let data = FileManager.default.contents(atPath: buildCacheDirectory + "/" + name),
                  let digest = Digest(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            else { return nil }
            return BuildCacheEntry(key: name, image: digest)
        }
    }

    /// The layers of an entry's intermediate image; nil when its config is gone.
    func cachedLayers(_ entry: BuildCacheEntry) -> [Digest]? {
        (try? config(of: entry.image))?.rootfs.diffIDs
    }

    public func buildCacheUsage() throws -> BuildCacheUsage {
        try withLock {
            let used = usedContent().layers
            var cacheOnly = Set<Digest>()
            let entries = buildCacheEntries()
            for entry in entries {
                for diffID in cachedLayers(entry) ?? [] where !used.contains(diffID) && layers.contains(diffID) {
                    cacheOnly.insert(diffID)
                }
            }
            return BuildCacheUsage(entries: entries.count,
                                   size: cacheOnly.reduce(Int64(0)) { $0 + (layers.record($1)?.size ?? 0) })
        }
    }

    /// Removes build cache entries and what only they kept: without `all`,
    /// the entries that hold a layer no image or container uses (or whose
    /// config or layers are gone already); with `all`, every entry. An
    /// entry whose layers all belong to images costs no space and keeps
    /// rebuilds of those images fast, so plain prune leaves it. Returns the
    /// keys removed and the bytes of the layers deleted.
    public func pruneBuildCache(all: Bool) throws -> (removed: [String], reclaimed: Int64) {
        try withLock {
            let used = usedContent()
            var removed: [BuildCacheEntry] = [], kept: [BuildCacheEntry] = []
            for entry in buildCacheEntries() {
                let cached = cachedLayers(entry)
                let stale = cached == nil || !cached!.allSatisfy(layers.contains)
                let holdsSpace = cached?.contains { !used.layers.contains($0) } ?? false
                if all || stale || holdsSpace { removed.append(entry) } else { kept.append(entry) }
            }
            var stillNeeded = used.layers, neededBlobs = used.blobs
            for entry in kept {
                stillNeeded.formUnion(cachedLayers(entry) ?? [])
                neededBlobs.insert(entry.image)
            }
            var reclaimed: Int64 = 0
            for entry in removed {
                let cached = cachedLayers(entry) ?? []
                unlink(buildCacheDirectory + "/" + entry.key)
                for diffID in cached where !stillNeeded.contains(diffID) && layers.contains(diffID) {
                    let size = layers.record(diffID)?.size ?? 0
                    try layers.delete(diffID)
                    reclaimed += size
                    // A layer a build made is stored as its own tar: its blob digest is its diffID.
                    if !neededBlobs.contains(diffID) { blobs.delete(diffID) }
                }
                if !neededBlobs.contains(entry.image) { blobs.delete(entry.image) }
            }
            return (removed.map(\.key), reclaimed)
        }
    }
}
