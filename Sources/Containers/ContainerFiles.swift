import Foundation
import Store
#if canImport(Glibc)
import Glibc
#endif

/// Small file helpers the records need: all-or-nothing writes and flock.
enum ContainerFiles {
    /// Write to a temporary file in the same folder, fsync, rename: a crash
    /// leaves the old file or the new one, never a mix.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let tmp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ContainerError.io("cannot create \(tmp): \(String(cString: strerror(errno)))") }
        var ok = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; return false }
                offset += n
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw ContainerError.io("cannot write \(path): \(String(cString: strerror(e)))")
        }
    }

    static func read(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.dateEncodingStrategy = .iso8601WithFractions
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601WithFractions
        return d
    }()

    /// Removes a tree, tolerant of files already gone. Files of the user's
    /// subordinate ids (what a non-root process of a container on the kernel
    /// overlay writes into its upper, in 0700 folders) go through the
    /// Store's remover, which enters a namespace mapping them.
    static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
        var st = stat()
        if lstat(path, &st) == 0 { try? removeStoreTree(path) }
    }
}

extension JSONEncoder.DateEncodingStrategy {
    static let iso8601WithFractions = JSONEncoder.DateEncodingStrategy.custom { date, encoder in
        var c = encoder.singleValueContainer()
        try c.encode(HumanTime.rfc3339Nano(date))
    }
}

extension JSONDecoder.DateDecodingStrategy {
    static let iso8601WithFractions = JSONDecoder.DateDecodingStrategy.custom { decoder in
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let d = HumanTime.parseRFC3339(s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an RFC 3339 date: \(s)")
        }
        return d
    }
}

/// An flock(2): released by the kernel when the holder dies, so a kill -9
/// never leaves a container locked. The monitor holds `monitor.lock` for
/// its whole life, which tells everyone else whether it still runs.
public final class Flock {
    let fd: Int32

    /// `create`: false to lock only a file that is there already.
    public init(path: String, create: Bool = true) throws {
        fd = open(path, O_RDWR | (create ? O_CREAT : 0) | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ContainerError.io("cannot open lock \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    public func lock(exclusive: Bool = true) {
        while flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0 && errno == EINTR {}
    }

    public func tryLock(exclusive: Bool = true) -> Bool { flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 }

    public func unlock() { flock(fd, LOCK_UN) }

    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }

    /// True when some process holds the lock at `path` (the file exists and
    /// cannot be locked without waiting).
    static func isHeld(_ path: String) -> Bool {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { flock(fd, LOCK_UN); return false }
        return true
    }
}

/// Store's removeTree, named apart from ContainerFiles.removeTree.
private func removeStoreTree(_ path: String) throws { try removeTree(path) }
