import Foundation
import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// Whether a filesystem can hold the store. It needs flock (the store lock,
/// the writers' locks), user xattrs (whiteouts, override_stat) and renames
/// that are atomic and seen at once by every process: network filesystems
/// (NFS, CIFS/SMB) are refused by type whatever they claim, any other one by
/// a probe of what the store does.
public enum StoreFilesystem {
    /// statfs f_type values of filesystems that cannot hold the store.
    public static let refusedTypes: [UInt: String] = [
        0x6969: "nfs",
        0xFF53_4D42: "cifs",
        0xFE53_4D42: "smb2",
        0x517B: "smb",
        0x564C: "ncpfs",
        0x7375_7245: "coda",
        0x6B41_4653: "afs",
        0x5346_414F: "afs",
    ]

    /// What a probe in the folder found.
    public struct Probe: Equatable, Sendable {
        public var userXattrs: Bool
        public var flock: Bool
        public init(userXattrs: Bool, flock: Bool) { self.userXattrs = userXattrs; self.flock = flock }
    }

    /// Why a filesystem of type `fsType` (statfs f_type) with what `probe`
    /// found (nil: not probed) cannot hold the store, or nil when it can.
    public static func problem(fsType: UInt, probe: Probe?) -> String? {
        if let name = refusedTypes[fsType] {
            return "it is on \(name), a network filesystem where file locks and renames are not reliable"
        }
        guard let probe else { return nil }
        var missing: [String] = []
        if !probe.userXattrs { missing.append("user extended attributes") }
        if !probe.flock { missing.append("file locks (flock)") }
        guard !missing.isEmpty else { return nil }
        return "its filesystem (\(name(ofType: fsType))) lacks \(missing.joined(separator: " and ")), which the store needs"
    }

    /// Names of common local filesystems, for messages.
    static let localNames: [UInt: String] = [
        0xEF53: "ext4", 0x5846_5342: "xfs", 0x9123_683E: "btrfs", 0x0102_1994: "tmpfs",
        0x8584_58F6: "ramfs", 0x6573_5546: "fuse", 0x794C_7630: "overlay", 0x2FC1_2FC1: "zfs",
        0x4D44: "vfat", 0x5346_544E: "ntfs", 0x7366_746E: "ntfs3", 0x7371_7368: "squashfs",
    ]

    public static func name(ofType fsType: UInt) -> String {
        refusedTypes[fsType] ?? localNames[fsType] ?? String(format: "type 0x%lx", fsType)
    }

    /// The statfs f_type of the filesystem holding `path`, or of its
    /// nearest existing parent folder.
    public static func type(of path: String) -> UInt? {
        var probe = path
        while true {
            var type: UInt = 0
            if hutch_statfs_type(probe, &type) == 0 { return type }
            if errno != ENOENT && errno != ENOTDIR { return nil }
            if probe == "/" || probe.isEmpty { return nil }
            probe = (probe as NSString).deletingLastPathComponent
        }
    }

    /// The nearest existing folder at or above `path`.
    static func existingFolder(of path: String) -> String {
        var p = path
        var st = stat()
        while stat(p, &st) != 0 && p != "/" && !p.isEmpty { p = (p as NSString).deletingLastPathComponent }
        return p.isEmpty ? "/" : p
    }

    /// Tries what the store does on a file in the nearest existing folder of
    /// `path`: set a user xattr and take an flock. Nil when nothing can be
    /// written there (the store's own creation then says why).
    public static func probe(_ path: String) -> Probe? {
        let dir = existingFolder(of: path)
        let file = dir + "/.hutch-probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 { return nil }
        defer { close(fd); unlink(file) }
        let value: [UInt8] = [0x31]
        let xattr = fsetxattr(fd, "user.hutch.probe", value, 1, 0) == 0
        let locked = flock(fd, LOCK_EX | LOCK_NB) == 0
        return Probe(userXattrs: xattr, flock: locked)
    }

    /// Why the filesystem at `path` cannot hold the store, or nil. `probe`
    /// tries xattrs and locks for real (skip it for a store that already
    /// exists: it passed when it was made, and statfs alone is cheap).
    public static func problem(at path: String, probe wantProbe: Bool) -> String? {
        guard let type = type(of: path) else { return nil }
        if refusedTypes[type] != nil { return problem(fsType: type, probe: nil) }
        return problem(fsType: type, probe: wantProbe ? probe(path) : nil)
    }
}
