import Foundation
import OCI

/// The Images row of `system df`, as Docker counts it: every layer once,
/// however many images share it.
public struct ImageDiskUsage: Equatable, Sendable {
    public var total: Int
    /// Images a container (running or stopped) was made from.
    public var active: Int
    /// Bytes of the layers images name.
    public var size: Int64
    /// What removing every image no container uses would free: the layers
    /// only such images name.
    public var reclaimable: Int64
}

extension Store {
    public func imageDiskUsage() throws -> ImageDiskUsage {
        let table = try images.load()
        let usedImages = Set(containers.all().map(\.imageID))
        var all = Set<Digest>(), kept = Set<Digest>()
        var active = 0
        for record in table.images.values {
            let diffIDs = (try? config(of: record.id))?.rootfs.diffIDs ?? []
            all.formUnion(diffIDs)
            if usedImages.contains(record.id) {
                active += 1
                kept.formUnion(diffIDs)
            }
        }
        func bytes(_ set: Set<Digest>) -> Int64 { set.reduce(Int64(0)) { $0 + (layers.record($1)?.size ?? 0) } }
        let size = bytes(all)
        return ImageDiskUsage(total: table.images.count, active: active, size: size,
                              reclaimable: size - bytes(kept.intersection(all)))
    }
}
