#if canImport(Glibc)
import Glibc
#endif

/// Paths inside a root filesystem folder, resolved the way the container
/// will see them: symlinks are followed, but an absolute link or a `..`
/// never leaves the root (like Go's securejoin), so a hostile rootfs cannot
/// point a volume's mount point at the host.
public enum RootfsPath {
    /// The path of `path` (absolute, as seen in the container) relative to
    /// the root, with every symlink resolved inside `root`. Missing
    /// components are kept as they are (they will be created).
    public static func resolve(_ path: String, in root: String,
                               readlink: (String) -> String? = RootfsPath.readlink) throws -> String {
        guard path.hasPrefix("/") else {
            throw SandboxError.invalidOption("invalid mount path: '\(path)' mount path must be absolute")
        }
        var pending = path.split(separator: "/", omittingEmptySubsequences: true).reversed().map(String.init)
        var resolved: [String] = []
        var links = 0
        while let component = pending.popLast() {
            if component == "." { continue }
            if component == ".." { _ = resolved.popLast(); continue }
            let candidate = root + "/" + (resolved + [component]).joined(separator: "/")
            guard let target = readlink(candidate) else { resolved.append(component); continue }
            links += 1
            if links > 40 {
                throw SandboxError.invalidOption("too many levels of symbolic links resolving \(path) in the root filesystem")
            }
            if target.hasPrefix("/") { resolved.removeAll() }
            pending.append(contentsOf: target.split(separator: "/").reversed().map(String.init))
        }
        return resolved.joined(separator: "/")
    }

    /// The target of a symlink, nil for anything else (or nothing).
    public static func readlink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = Glibc.readlink(path, &buffer, Int(PATH_MAX))
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
