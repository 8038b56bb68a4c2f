import Store
#if canImport(Glibc)
import Glibc
#endif

/// A stage's root file system read through its overlay layers, top first,
/// the way the kernel's overlay would merge them, without mounting: COPY
/// reads its destination's parents here and writes only into the top layer.
public struct LayerView: FileTree {
    /// Layer directories, topmost first (the step's upper directory first).
    public let layers: [String]
    /// The uid and gid the image records for files with no override_stat
    /// xattr that belong to the user running the build (its root).
    public var hostOwnerIsRoot: Bool = true

    public init(layers: [String]) { self.layers = layers }

    /// A directory seen through the layers: the layers that contribute to it.
    struct MergedDirectory {
        var path: [String]
        var layerIndices: [Int]
    }

    var root: MergedDirectory { MergedDirectory(path: [], layerIndices: Array(layers.indices)) }

    func hostPath(_ layer: Int, _ components: [String]) -> String {
        components.isEmpty ? layers[layer] : layers[layer] + "/" + components.joined(separator: "/")
    }

    /// Looks `name` up in a merged directory: the topmost layer's entry, and
    /// when it is a directory, the layers below that still contribute to it.
    func lookup(_ name: String, in dir: MergedDirectory) -> (layer: Int, st: stat, merged: MergedDirectory?)? {
        let path = dir.path + [name]
        var found: (Int, stat)?
        var contributing: [Int] = []
        for index in dir.layerIndices {
            let host = hostPath(index, path)
            guard let st = lstatEntry(host) else { continue }
            if Whiteouts.isWhiteout(path: host, st: st) { break }
            if found == nil {
                found = (index, st)
                guard kind(of: st) == .directory else { break }
                contributing.append(index)
                if Whiteouts.isOpaque(path: host) { break }
            } else {
                // A non-directory below a directory is hidden, and hides what is under it.
                guard kind(of: st) == .directory else { break }
                contributing.append(index)
                if Whiteouts.isOpaque(path: host) { break }
            }
        }
        guard let (layer, st) = found else { return nil }
        let merged = kind(of: st) == .directory ? MergedDirectory(path: path, layerIndices: contributing) : nil
        return (layer, st, merged)
    }

    /// Walks `path` from the root, following symlinks inside the view; the
    /// result's `missing` are the trailing components that do not exist.
    func walk(_ path: String, followFinal: Bool) throws
        -> (resolved: [String], last: (layer: Int, st: stat, merged: MergedDirectory?)?, missing: [String]) {
        var pending = TreePath.components(path)
        var current = root
        var resolved: [String] = []
        var lastFound: (layer: Int, st: stat, merged: MergedDirectory?)? = (0, stat(), root)
        if let st = lstatEntry(layers.first ?? "/") { lastFound = (0, st, root) }
        var hops = 0
        while !pending.isEmpty {
            let name = pending.removeFirst()
            guard let hit = lookup(name, in: current) else {
                return (resolved + [name] + pending, nil, [name] + pending)
            }
            let isLast = pending.isEmpty
            if kind(of: hit.st) == .symlink && (!isLast || followFinal) {
                hops += 1
                if hops > 40 { throw BuildError("too many levels of symbolic links in \(path)") }
                let target = readLink(hostPath(hit.layer, current.path + [name])) ?? ""
                // A link resolves inside the view: absolute from its root, relative from its folder.
                let base = target.hasPrefix("/") ? [] : resolved
                pending = TreePath.components(TreePath.join(base) + "/" + target) + pending
                resolved = []
                current = root
                continue
            }
            resolved.append(name)
            lastFound = hit
            if let merged = hit.merged {
                current = merged
            } else if !isLast {
                throw BuildError("\(TreePath.join(resolved)) is not a directory")
            }
        }
        return (resolved, lastFound, [])
    }

    public func resolve(_ path: String, followFinal: Bool) throws -> String {
        TreePath.join(try walk(path, followFinal: followFinal).resolved)
    }

    public func entry(at path: String, followFinal: Bool) throws -> TreeEntry? {
        let walked = try walk(path, followFinal: followFinal)
        guard walked.missing.isEmpty, let (layer, st, _) = walked.last else { return nil }
        return makeEntry(hostPath(layer, walked.resolved), walked.resolved, st)
    }

    func makeEntry(_ host: String, _ path: [String], _ st: stat) -> TreeEntry {
        let k = kind(of: st)
        var uid = UInt32(st.st_uid), gid = UInt32(st.st_gid), mode = UInt32(st.st_mode) & 0o7777
        if k != .symlink, let override = Whiteouts.overrideStat(path: host) {
            uid = override.uid; gid = override.gid; mode = override.mode & 0o7777
        } else if hostOwnerIsRoot && st.st_uid == getuid() {
            uid = 0; gid = 0
        }
        return TreeEntry(hostPath: host, path: TreePath.join(path), kind: k, mode: mode, uid: uid, gid: gid,
                         size: Int64(st.st_size), mtime: st.st_mtim,
                         linkTarget: k == .symlink ? readLink(host) : nil)
    }

    public func children(of directory: TreeEntry) throws -> [String] {
        let walked = try walk(directory.path, followFinal: true)
        guard let merged = walked.last?.merged else { return [] }
        var seen = Set<String>()
        var hidden = Set<String>()
        for index in merged.layerIndices {
            let host = hostPath(index, merged.path)
            for name in try directoryNames(host) where !seen.contains(name) && !hidden.contains(name) {
                if let st = lstatEntry(host + "/" + name), Whiteouts.isWhiteout(path: host + "/" + name, st: st) {
                    hidden.insert(name)
                } else {
                    seen.insert(name)
                }
            }
        }
        return seen.sorted()
    }
}
