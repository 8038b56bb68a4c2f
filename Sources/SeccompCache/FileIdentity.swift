#if canImport(Glibc)
import Glibc
#endif

/// What stat(2) says about a file: when none of it changed, the contents did
/// not either (an editor or `cp` changes the inode, size or times), so a
/// profile need not be parsed again to know its compiled filter.
public struct FileIdentity: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modified: timespec
    public var changed: timespec

    /// nil when the file cannot be stat'd.
    public init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        modified = st.st_mtim
        changed = st.st_ctim
    }

    init(device: UInt64, inode: UInt64, size: Int64, modified: timespec, changed: timespec) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modified = modified
        self.changed = changed
    }

    public static func == (a: FileIdentity, b: FileIdentity) -> Bool {
        a.device == b.device && a.inode == b.inode && a.size == b.size &&
            a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec &&
            a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(device)
        hasher.combine(inode)
        hasher.combine(size)
        hasher.combine(modified.tv_sec)
        hasher.combine(modified.tv_nsec)
    }

    /// Seven decimal fields, space-separated, as the filter index stores them.
    var fields: String {
        "\(device) \(inode) \(size) \(modified.tv_sec) \(modified.tv_nsec) \(changed.tv_sec) \(changed.tv_nsec)"
    }

    init?(fields: Substring) {
        let parts = fields.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 7, let dev = UInt64(parts[0]), let ino = UInt64(parts[1]), let size = Int64(parts[2]),
              let ms = Int(parts[3]), let mn = Int(parts[4]), let cs = Int(parts[5]), let cn = Int(parts[6]) else { return nil }
        self.init(device: dev, inode: ino, size: size,
                  modified: timespec(tv_sec: ms, tv_nsec: mn), changed: timespec(tv_sec: cs, tv_nsec: cn))
    }

    /// realpath(3), nil when the path does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// readlink(2) of a symbolic link.
    public static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// One file a profile was loaded from: the one named (`baseName` nil), or
/// the base an `extends: "baseName"` located in the search path.
public struct ProfileFile: Equatable, Sendable {
    public var baseName: String?
    public var path: String
    /// nil when the file could not be stat'd: such a load is never indexed.
    public var identity: FileIdentity?

    public init(baseName: String?, path: String, identity: FileIdentity?) {
        self.baseName = baseName
        self.path = path
        self.identity = identity
    }
}
