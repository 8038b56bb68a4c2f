/// Ownership the kernel could not record (a chown to an id the user
/// namespace does not map, a setuid bit on such a file), kept in the
/// `user.containers.override_stat` xattr as containers/storage and
/// fuse-overlayfs do: "UID:GID:MODE", MODE in octal, with the file type bits
/// when we write it (readers take the permission bits only).
public struct OwnershipOverride: Equatable, Sendable {
    public static let xattrName = "user.containers.override_stat"
    public var uid: UInt32
    public var gid: UInt32
    /// Permission bits, setuid/setgid/sticky included (07777).
    public var mode: UInt32

    public init(uid: UInt32, gid: UInt32, mode: UInt32) {
        self.uid = uid; self.gid = gid; self.mode = mode & 0o7777
    }

    /// Parses the xattr's value; nil for anything malformed (then ignored).
    public init?(parsing bytes: some Collection<UInt8>) {
        var fields: [UInt64] = [0, 0, 0]
        var index = 0, digits = 0
        for b in bytes {
            if b == 0 { break }  // some writers include the C string's NUL
            if b == UInt8(ascii: ":") {
                guard digits > 0, index < 2 else { return nil }
                index += 1; digits = 0; continue
            }
            let base: UInt64 = index == 2 ? 8 : 10
            guard b >= UInt8(ascii: "0"), UInt64(b - UInt8(ascii: "0")) < base else { return nil }
            fields[index] = fields[index] * base + UInt64(b - UInt8(ascii: "0"))
            digits += 1
            guard digits <= 12, fields[index] <= UInt64(UInt32.max) else { return nil }
        }
        guard index == 2, digits > 0 else { return nil }
        self.init(uid: UInt32(fields[0]), gid: UInt32(fields[1]), mode: UInt32(fields[2]))
    }

    /// The xattr value, e.g. "0:0:0100755" for a regular file.
    public func encoded(fileType: UInt32) -> String {
        "\(uid):\(gid):0\(String((fileType & 0o170000) | mode, radix: 8))"
    }
}

/// Errors a user of hutch-unionfs can act on.
public enum UnionFSError: Error, CustomStringConvertible, Equatable {
    case badOption(String)
    case layer(String, String)
    case mount(String)
    case unmount(String)

    public var description: String {
        switch self {
        case .badOption(let m): return "hutch-unionfs: \(m)"
        case .layer(let path, let why): return "hutch-unionfs: cannot use \(path): \(why)"
        case .mount(let m): return "hutch-unionfs: mount failed: \(m)"
        case .unmount(let m): return "hutch-unionfs: unmount failed: \(m)"
        }
    }
}
