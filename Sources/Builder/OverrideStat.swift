#if canImport(Glibc)
import Glibc
#endif

/// The ownership and mode a rootless build cannot give a file for real,
/// kept in the `user.containers.override_stat` xattr as containers/storage
/// and fuse-overlayfs write it: "uid:gid:0mode" (mode: permission bits).
public struct OverrideStat: Equatable {
    public static let xattrName = "user.containers.override_stat"
    public var uid: UInt32
    public var gid: UInt32
    public var mode: UInt32

    public init(uid: UInt32, gid: UInt32, mode: UInt32) {
        self.uid = uid; self.gid = gid; self.mode = mode & 0o7777
    }

    public var encoded: String { "\(uid):\(gid):0\(String(mode, radix: 8))" }

    /// Reads "uid:gid:mode[:type]"; nil when it is not one.
    public init?(encoded: String) {
        let parts = encoded.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 3, let uid = UInt32(parts[0]), let gid = UInt32(parts[1]),
              let mode = UInt32(parts[2], radix: 8) else { return nil }
        self.init(uid: uid, gid: gid, mode: mode)
    }

    /// The value on a host file; nil when it has none (or is a symlink:
    /// Linux keeps no user xattrs on symlinks).
    public static func read(_ hostPath: String) -> OverrideStat? {
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = lgetxattr(hostPath, xattrName, &buffer, buffer.count)
        guard n > 0 else { return nil }
        return OverrideStat(encoded: String(decoding: buffer[0..<n], as: UTF8.self))
    }

    public func write(_ hostPath: String) throws {
        let value = Array(encoded.utf8)
        if lsetxattr(hostPath, OverrideStat.xattrName, value, value.count, 0) != 0 {
            let err = errno
            // Symlinks cannot carry user xattrs: their owner is not kept, as in containers/storage.
            if err == EPERM, let st = lstatEntry(hostPath), kind(of: st) == .symlink { return }
            throw BuildError("cannot record ownership on \(hostPath): \(String(cString: strerror(err)))"
                             + (err == ENOTSUP ? " (the store's file system has no user xattrs)" : ""))
        }
    }
}

/// Overlay markers in a layer directory, as the kernel's overlay reads them
/// with -o userxattr: whiteouts (a 0/0 character device, or a file with
/// user.overlay.whiteout) and opaque directories (user.overlay.opaque=y).
enum OverlayMarker {
    static func isWhiteout(_ hostPath: String, _ st: stat) -> Bool {
        let type = st.st_mode & S_IFMT
        if type == S_IFCHR && st.st_rdev == 0 { return true }
        if type == S_IFREG && st.st_size == 0 { return hasXattr(hostPath, "user.overlay.whiteout") }
        return false
    }

    static func isOpaque(_ hostPath: String) -> Bool {
        var value: UInt8 = 0
        let n = lgetxattr(hostPath, "user.overlay.opaque", &value, 1)
        return n == 1 && value == UInt8(ascii: "y")
    }

    static func hasXattr(_ hostPath: String, _ name: String) -> Bool {
        lgetxattr(hostPath, name, nil, 0) >= 0
    }
}
