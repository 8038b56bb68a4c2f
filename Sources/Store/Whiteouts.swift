import Foundation
import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// The one place that names how deletions, opaque directories and
/// ownership are written in an unpacked layer (docs/storage.md).
///
/// OCI layers mark a deleted file with an entry `.wh.NAME` and a directory
/// that hides everything below with `.wh..wh..opq`. An unprivileged user
/// cannot mknod the kernel's 0/0 character-device whiteout, so hutch uses
/// overlayfs's xattr form with `-o userxattr` (Linux 6.7+): a zero-size
/// regular file with `user.overlay.whiteout`, in a directory whose
/// `user.overlay.opaque` is `x` (and `user.overlay.whiteouts` is set, which
/// hutch-unionfs and older 6.7 kernels read). An opaque directory has
/// `user.overlay.opaque` = `y`.
public enum Whiteouts {
    public static let ociPrefix = ".wh."
    public static let ociOpaqueMarker = ".wh..wh..opq"
    public static let whiteoutXattr = "user.overlay.whiteout"
    public static let parentWhiteoutsXattr = "user.overlay.whiteouts"
    public static let opaqueXattr = "user.overlay.opaque"
    /// `user.overlay.opaque` values: opaque, and "has xattr whiteouts".
    public static let opaqueValue = "y"
    public static let hasWhiteoutsValue = "x"

    /// containers/storage's and fuse-overlayfs's record of the ownership
    /// and mode a file should have: `UID:GID:0MODE`, plus `:TYPE` for files
    /// that stand in for device nodes (`char-MAJOR-MINOR`, `block-...`).
    public static let overrideStatXattr = "user.containers.override_stat"

    /// The name a `.wh.` entry deletes, or nil when it is not a whiteout.
    public static func deletedName(_ name: String) -> String? {
        guard name.hasPrefix(ociPrefix), name != ociOpaqueMarker else { return nil }
        return String(name.dropFirst(ociPrefix.count))
    }

    // MARK: reading and writing through an fd (O_PATH is fine: via /proc/self/fd)

    static func procPath(_ fd: Int32) -> String { "/proc/self/fd/\(fd)" }

    /// Sets xattr `name` on the object open as `fd`, making a read-only
    /// object writable for the moment it takes (user.* needs write access).
    static func set(_ name: String, _ value: String, fd: Int32) throws {
        let path = procPath(fd)
        if setxattr(path, name, value, value.utf8.count, 0) == 0 { return }
        let e = errno
        guard e == EACCES || e == EPERM else { throw StoreError.io("cannot set \(name) on", path: path, errno: e) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StoreError.io("cannot set \(name) on", path: path, errno: e) }
        chmod(path, (st.st_mode & 0o7777) | 0o200)
        defer { chmod(path, st.st_mode & 0o7777) }
        if setxattr(path, name, value, value.utf8.count, 0) != 0 {
            throw StoreError.io("cannot set \(name) on", path: path, errno: errno)
        }
    }

    /// The xattr's value, or nil when absent (or not readable).
    public static func get(_ name: String, path: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = lgetxattr(path, name, &buffer, buffer.count)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    public static func isWhiteout(path: String) -> Bool { get(whiteoutXattr, path: path) != nil }
    public static func isOpaque(path: String) -> Bool { get(opaqueXattr, path: path) == opaqueValue }

    /// Makes `name` in the directory `dirFD` a whiteout and marks the directory.
    static func makeWhiteout(named name: String, inDirectory dirFD: Int32) throws {
        unlinkat(dirFD, name, 0)
        let fd = openat(dirFD, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd < 0 {
            // A directory of that name, put there by this same layer: a
            // layer deleting what it made; it wins as the whiteout.
            throw StoreError.hostileArchive("whiteout .wh.\(name) collides with an entry of the same layer")
        }
        defer { close(fd) }
        try set(whiteoutXattr, "", fd: fd)
        try set(parentWhiteoutsXattr, "", fd: dirFD)
        if get(opaqueXattr, path: procPath(dirFD)) != opaqueValue {
            try set(opaqueXattr, hasWhiteoutsValue, fd: dirFD)
        }
    }

    static func markOpaque(directory dirFD: Int32) throws {
        try set(opaqueXattr, opaqueValue, fd: dirFD)
    }

    // MARK: override_stat

    public struct OverrideStat: Equatable, Sendable {
        public var uid: UInt32
        public var gid: UInt32
        /// Permission bits with setuid/setgid/sticky (07777).
        public var mode: UInt32
        /// nil for regular files, dirs and symlinks; `char-1-3`, `block-8-0`, `pipe`, `socket`.
        public var type: String?

        public init(uid: UInt32, gid: UInt32, mode: UInt32, type: String? = nil) {
            self.uid = uid
            self.gid = gid
            self.mode = mode
            self.type = type
        }

        public var text: String {
            "\(uid):\(gid):0\(String(mode & 0o7777, radix: 8))" + (type.map { ":" + $0 } ?? "")
        }

        public init?(text: String) {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 3 || parts.count == 4, let u = UInt32(parts[0]), let g = UInt32(parts[1]),
                  let m = UInt32(parts[2], radix: 8) else { return nil }
            self.init(uid: u, gid: g, mode: m, type: parts.count == 4 ? String(parts[3]) : nil)
        }
    }

    public static func overrideStat(path: String) -> OverrideStat? {
        get(overrideStatXattr, path: path).flatMap(OverrideStat.init(text:))
    }

    static func setOverrideStat(_ s: OverrideStat, fd: Int32) throws {
        try set(overrideStatXattr, s.text, fd: fd)
    }

    /// Records `s` on the file or folder at `path` (not following a final
    /// symlink). A symlink is left as it is: Linux keeps no user xattrs on
    /// symlinks, so their owner is not kept, as in containers/storage.
    public static func setOverrideStat(_ s: OverrideStat, path: String) throws {
        let fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 { throw StoreError.io("cannot record ownership on", path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK { return }
        do { try setOverrideStat(s, fd: fd) } catch StoreError.io(_, _, let e) {
            if e == ENOTSUP || e == EOPNOTSUPP {
                throw StoreError.unsupportedFilesystem("cannot record ownership on \(path): its file system has no user xattrs")
            }
            throw StoreError.io("cannot record ownership on", path: path, errno: e)
        }
    }

    /// Whether the entry at `path`, whose lstat is `st`, is a whiteout in
    /// either form overlay reads (a 0/0 character device, or the xattr form).
    public static func isWhiteout(path: String, st: stat) -> Bool {
        switch st.st_mode & S_IFMT {
        case S_IFCHR: return st.st_rdev == 0
        case S_IFREG: return st.st_size == 0 && isWhiteout(path: path)
        default: return false
        }
    }
}
