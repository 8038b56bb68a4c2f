#if canImport(Glibc)
import Glibc
#endif

/// What one path of a file tree is, with the owner the image would record.
public struct TreeEntry: Equatable {
    public enum Kind: Equatable { case file, directory, symlink, other }
    /// Where the bytes are on the host.
    public var hostPath: String
    /// The path inside the tree, symlinks resolved: "/a/b".
    public var path: String
    public var kind: Kind
    /// Permission bits with setuid, setgid and sticky (07777).
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: Int64
    public var mtime: timespec
    public var linkTarget: String?

    public static func == (a: TreeEntry, b: TreeEntry) -> Bool {
        a.hostPath == b.hostPath && a.path == b.path && a.kind == b.kind && a.mode == b.mode
            && a.uid == b.uid && a.gid == b.gid && a.size == b.size && a.linkTarget == b.linkTarget
    }
}

/// A read-only view of a file system tree whose symlinks stay inside it:
/// a build context, or a stage's root made of overlay layers.
public protocol FileTree {
    /// The entry at `path` ("/a/b" or "a/b", relative to the tree's root),
    /// with symlinks in the parents resolved inside the tree and the final
    /// one too when `followFinal`; nil when it does not exist.
    func entry(at path: String, followFinal: Bool) throws -> TreeEntry?
    /// The names in a directory entry, sorted.
    func children(of directory: TreeEntry) throws -> [String]
    /// `path` with every symlink resolved inside the tree, components that
    /// do not exist kept as written (so a destination can be created there).
    func resolve(_ path: String, followFinal: Bool) throws -> String
}

/// Path helpers shared by the trees: a tree path is absolute and clean.
enum TreePath {
    /// "/a/./b/../c/" -> ["a", "c"]; `..` never climbs above the root.
    static func components(_ path: String) -> [String] {
        var out: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { if !out.isEmpty { out.removeLast() }; continue }
            out.append(String(part))
        }
        return out
    }

    static func join(_ components: [String]) -> String {
        "/" + components.joined(separator: "/")
    }

    static func clean(_ path: String) -> String { join(components(path)) }

    /// Whether a relative path written by the user climbs out of its root
    /// ("../x", "a/../../x"): Docker refuses those for context sources.
    static func escapes(_ path: String) -> Bool {
        if path.hasPrefix("/") { return false }
        var depth = 0
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { depth -= 1; if depth < 0 { return true } } else { depth += 1 }
        }
        return false
    }

    static func basename(_ path: String) -> String {
        components(path).last ?? "/"
    }
}

/// lstat as a Swift value; nil when the path does not exist.
func lstatEntry(_ hostPath: String) -> stat? {
    var st = stat()
    return lstat(hostPath, &st) == 0 ? st : nil
}

func kind(of st: stat) -> TreeEntry.Kind {
    switch st.st_mode & S_IFMT {
    case S_IFREG: return .file
    case S_IFDIR: return .directory
    case S_IFLNK: return .symlink
    default: return .other
    }
}

func readLink(_ hostPath: String) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink(hostPath, &buffer, buffer.count - 1)
    guard n >= 0 else { return nil }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The names in a host directory, without "." and "..".
func directoryNames(_ hostPath: String) throws -> [String] {
    guard let dir = opendir(hostPath) else {
        throw BuildError("cannot read directory \(hostPath): \(String(cString: strerror(errno)))")
    }
    defer { closedir(dir) }
    var names: [String] = []
    while let ent = readdir(dir) {
        let name = withUnsafePointer(to: ent.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}
