import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The Containers row of `system df`, and what pruning stopped containers frees.
public struct ContainerDiskUsage: Equatable, Sendable {
    public var total: Int
    public var running: Int
    /// Bytes in the containers' writable layers (Docker's SizeRw).
    public var size: Int64
    /// Those of the containers that are not running.
    public var reclaimable: Int64
}

extension ContainerRepository {
    /// Bytes of the files in the container's writable layer (`upper/`; a
    /// `--rootfs` container writes into its folder and has none). Folders
    /// this user cannot read (a container's files of a subordinate id with
    /// mode 0700) are skipped: the figure is then a lower bound.
    public func writableLayerSize(_ id: String) -> Int64 {
        Self.treeSize(ImageRootfs.upperPath(folder(id)))
    }

    public func diskUsage() -> ContainerDiskUsage {
        var usage = ContainerDiskUsage(total: 0, running: 0, size: 0, reclaimable: 0)
        for container in all() {
            let size = writableLayerSize(container.id)
            usage.total += 1
            usage.size += size
            if container.state.status == .running { usage.running += 1 } else { usage.reclaimable += size }
        }
        return usage
    }

    /// The sizes of the non-folders under `path`, never following a symlink.
    static func treeSize(_ path: String) -> Int64 {
        guard let dir = opendir(path) else { return 0 }
        defer { closedir(dir) }
        var total: Int64 = 0
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            var st = stat()
            guard lstat(child, &st) == 0 else { continue }
            if st.st_mode & S_IFMT == S_IFDIR { total += treeSize(child) } else { total += Int64(st.st_size) }
        }
        return total
    }
}

extension ContainerManager {
    /// `container prune` and `system prune`: removes every container that
    /// is not running. Returns their IDs and the bytes their writable
    /// layers held.
    public func pruneStopped() throws -> (removed: [String], reclaimed: Int64) {
        var removed: [String] = []
        var reclaimed: Int64 = 0
        for c in repository.all() where c.state.status != .running {
            let size = repository.writableLayerSize(c.id)
            try remove(c, force: false)
            removed.append(c.id)
            reclaimed += size
        }
        repository.collectLeftovers()
        return (removed, reclaimed)
    }
}
