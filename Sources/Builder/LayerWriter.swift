import Store
#if canImport(Glibc)
import Glibc
#endif

/// An owner as the image records it (ids inside the container).
public struct Ownership: Equatable, Hashable {
    public var uid: UInt32
    public var gid: UInt32
    public init(uid: UInt32, gid: UInt32) { self.uid = uid; self.gid = gid }
    public static let root = Ownership(uid: 0, gid: 0)
}

/// Writes files into the top layer of a stage's view, the step's upper
/// directory, as the kernel's overlay would on a copy-up: parents that
/// exist below are recreated with their mode and owner, new ones made.
/// Owners go into the override_stat xattr; modes that would lock the
/// builder out of its own folders (0555) are applied by `finish()`.
public final class LayerWriter {
    public let view: LayerView
    var upper: String { view.layers[0] }
    var pendingDirectories: [(host: String, mode: UInt32, mtime: timespec?)] = []

    public init(view: LayerView) { self.view = view }

    func host(_ path: [String]) -> String { view.hostPath(0, path) }

    /// Makes every folder of `path` exist in the upper directory.
    public func ensureDirectory(_ path: [String], newOwner: Ownership, newMode: UInt32 = 0o755) throws {
        var prefix: [String] = []
        for name in path {
            prefix.append(name)
            let hostPath = host(prefix)
            if let st = lstatEntry(hostPath) {
                guard kind(of: st) == .directory else {
                    throw BuildError("cannot create directory \(TreePath.join(prefix)): a file is in the way")
                }
                continue
            }
            if let below = try view.entry(at: TreePath.join(prefix), followFinal: false) {
                guard below.kind == .directory else {
                    throw BuildError("cannot create directory \(TreePath.join(prefix)): not a directory")
                }
                try makeDirectory(hostPath, mode: below.mode, owner: Ownership(uid: below.uid, gid: below.gid),
                                  mtime: below.mtime)
            } else {
                try makeDirectory(hostPath, mode: newMode, owner: newOwner, mtime: nil)
            }
        }
    }

    /// Creates (or keeps, when there is one) a folder; its final mode and
    /// mtime are set by `finish()`, after its contents are written.
    public func writeDirectory(_ path: [String], mode: UInt32, owner: Ownership, mtime: timespec?) throws {
        try ensureDirectory(Array(path.dropLast()), newOwner: owner)
        let hostPath = host(path)
        if let st = lstatEntry(hostPath), kind(of: st) != .directory { try removeEntry(hostPath) }
        try makeDirectory(hostPath, mode: mode, owner: owner, mtime: mtime)
    }

    func makeDirectory(_ hostPath: String, mode: UInt32, owner: Ownership, mtime: timespec?) throws {
        if mkdir(hostPath, 0o700) != 0 && errno != EEXIST { throw BuildError.errno("mkdir", hostPath) }
        try Whiteouts.setOverrideStat(.init(uid: owner.uid, gid: owner.gid, mode: mode & 0o7777), path: hostPath)
        pendingDirectories.append((hostPath, mode, mtime))
    }

    /// Writes a regular file with `source`'s bytes (a host file).
    public func writeFile(_ path: [String], copying source: String, mode: UInt32, owner: Ownership,
                          mtime: timespec?) throws {
        try ensureDirectory(Array(path.dropLast()), newOwner: owner)
        let hostPath = host(path)
        if lstatEntry(hostPath) != nil { try removeEntry(hostPath) }
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw BuildError.errno("open", source) }
        defer { close(input) }
        let output = open(hostPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw BuildError.errno("create", hostPath) }
        defer { close(output) }
        try copyBytes(from: input, to: output, name: source)
        try finishFile(output, hostPath, mode: mode, owner: owner, mtime: mtime)
    }

    /// Writes a regular file whose bytes `fill` writes to the descriptor.
    public func writeFile(_ path: [String], mode: UInt32, owner: Ownership, mtime: timespec?,
                          fill: (Int32) throws -> Void) throws {
        try ensureDirectory(Array(path.dropLast()), newOwner: owner)
        let hostPath = host(path)
        if lstatEntry(hostPath) != nil { try removeEntry(hostPath) }
        let output = open(hostPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw BuildError.errno("create", hostPath) }
        defer { close(output) }
        try fill(output)
        try finishFile(output, hostPath, mode: mode, owner: owner, mtime: mtime)
    }

    /// Writes a regular file with the given bytes (heredocs, downloads).
    public func writeFile(_ path: [String], bytes: [UInt8], mode: UInt32, owner: Ownership,
                          mtime: timespec?) throws {
        try ensureDirectory(Array(path.dropLast()), newOwner: owner)
        let hostPath = host(path)
        if lstatEntry(hostPath) != nil { try removeEntry(hostPath) }
        let output = open(hostPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw BuildError.errno("create", hostPath) }
        defer { close(output) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(output, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 { if errno == EINTR { continue }; throw BuildError.errno("write", hostPath) }
            offset += n
        }
        try finishFile(output, hostPath, mode: mode, owner: owner, mtime: mtime)
    }

    func finishFile(_ fd: Int32, _ hostPath: String, mode: UInt32, owner: Ownership, mtime: timespec?) throws {
        guard fchmod(fd, mode_t(mode & 0o7777)) == 0 else { throw BuildError.errno("chmod", hostPath) }
        try Whiteouts.setOverrideStat(.init(uid: owner.uid, gid: owner.gid, mode: mode & 0o7777), path: hostPath)
        if let mtime {
            var times = [mtime, mtime]
            _ = futimens(fd, &times)
        }
    }

    public func writeSymlink(_ path: [String], target: String, owner: Ownership, mtime: timespec?) throws {
        try ensureDirectory(Array(path.dropLast()), newOwner: owner)
        let hostPath = host(path)
        if lstatEntry(hostPath) != nil { try removeEntry(hostPath) }
        guard symlink(target, hostPath) == 0 else { throw BuildError.errno("symlink", hostPath) }
        if let mtime {
            var times = [mtime, mtime]
            _ = utimensat(AT_FDCWD, hostPath, &times, AT_SYMLINK_NOFOLLOW)
        }
    }

    /// A hard link to a file this step already wrote (tar archives have them).
    public func writeHardlink(_ path: [String], to existing: [String]) throws {
        try ensureDirectory(Array(path.dropLast()), newOwner: .root)
        let hostPath = host(path)
        if lstatEntry(hostPath) != nil { try removeEntry(hostPath) }
        guard link(host(existing), hostPath) == 0 else { throw BuildError.errno("link", hostPath) }
    }

    /// Applies folder modes and mtimes, deepest first, once nothing more is written in them.
    public func finish() throws {
        for item in pendingDirectories.reversed() {
            guard chmod(item.host, mode_t(item.mode & 0o7777)) == 0 else { throw BuildError.errno("chmod", item.host) }
            if let mtime = item.mtime {
                var times = [mtime, mtime]
                _ = utimensat(AT_FDCWD, item.host, &times, AT_SYMLINK_NOFOLLOW)
            }
        }
        pendingDirectories.removeAll()
    }

    func removeEntry(_ hostPath: String) throws {
        guard let st = lstatEntry(hostPath) else { return }
        if kind(of: st) == .directory {
            chmod(hostPath, 0o700)
            for name in try directoryNames(hostPath) { try removeEntry(hostPath + "/" + name) }
            guard rmdir(hostPath) == 0 else { throw BuildError.errno("rmdir", hostPath) }
        } else {
            guard unlink(hostPath) == 0 else { throw BuildError.errno("unlink", hostPath) }
        }
    }

    func copyBytes(from input: Int32, to output: Int32, name: String) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n == 0 { return }
            if n < 0 { if errno == EINTR { continue }; throw BuildError.errno("read", name) }
            var offset = 0
            while offset < n {
                let w = buffer.withUnsafeBytes { write(output, $0.baseAddress! + offset, n - offset) }
                if w < 0 { if errno == EINTR { continue }; throw BuildError.errno("write", name) }
                offset += w
            }
        }
    }
}

extension BuildError {
    static func errno(_ what: String, _ path: String) -> BuildError {
        BuildError("\(what) \(path): \(String(cString: strerror(Glibc.errno)))")
    }
}
