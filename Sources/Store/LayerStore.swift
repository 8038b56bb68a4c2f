import Foundation
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// What layers/<hex>/layer.json says about an unpacked layer.
public struct LayerRecord: Codable, Hashable, Sendable {
    /// sha256 of the uncompressed tar: the layer's name.
    public var diffID: Digest
    /// Bytes of file content in the layer (what `images` and `system df` add up).
    public var size: Int64
    public var entries: Int
    /// `chown` (real owners, made in a user namespace) or `xattr` (override_stat).
    public var ownership: String
    public var created: Date
}

/// How ownership from the archive is kept.
public enum OwnershipMode: String, Sendable {
    /// lchown to the archive's ids: only inside a user namespace that maps a full range.
    case chown
    /// Files stay the user's; the archive's ids go in user.containers.override_stat.
    case xattr

    /// chown when this process is in a user namespace with more than one id mapped.
    public static var current: OwnershipMode {
        guard let text = try? String(contentsOfFile: "/proc/self/uid_map", encoding: .utf8) else { return .xattr }
        var mapped: UInt64 = 0
        var identity = false
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ").compactMap { UInt64($0) }
            guard f.count == 3 else { continue }
            if f[0] == 0 && f[1] == 0 && f[2] == 4294967295 { identity = true }
            mapped += f[2]
        }
        // The initial namespace maps everything to itself; there only root may chown.
        if identity { return getuid() == 0 ? .chown : .xattr }
        return mapped >= 65536 ? .chown : .xattr
    }
}

/// Unpacked layers under `layers/<diffID hex>/` (a `diff/` folder and
/// `layer.json`), each unpacked once and shared by every image that has it.
/// A layer is unpacked in `layers/tmp-*` and renamed into place whole.
public final class LayerStore: @unchecked Sendable {
    public let directory: String
    /// Removes a folder the user cannot remove alone (files owned by mapped
    /// ids): by default `rm -rf` as root of a user namespace mapping the
    /// user's subordinate ids (MappedOwnerRemover).
    nonisolated(unsafe) public static var privilegedRemover: ((String) throws -> Void)? = { try MappedOwnerRemover.remove($0) }

    /// The store's lock, taken to move a finished layer into place.
    let storeLock: FileLock?

    init(directory: String, lock: FileLock? = nil) throws {
        self.directory = directory
        self.storeLock = lock
        try makeDirectory(directory, mode: 0o700)
    }

    public func folder(for diffID: Digest) -> String { directory + "/" + diffID.hex }

    /// The layer's files, for a union mount's lowerdir.
    public func path(for diffID: Digest) -> String { folder(for: diffID) + "/diff" }

    public func contains(_ diffID: Digest) -> Bool { access(folder(for: diffID) + "/layer.json", F_OK) == 0 }

    public func record(_ diffID: Digest) -> LayerRecord? {
        guard let data = try? readFileIfPresent(folder(for: diffID) + "/layer.json") else { return nil }
        return try? JSONDecoder.store.decode(LayerRecord.self, from: data)
    }

    public func all() -> [Digest] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { try? Digest(sha256Hex: $0) }.filter(contains)
    }

    /// Unpacks a layer blob (tar, tar+gzip or tar+zstd: detected) unless
    /// already present. Verifies the uncompressed digest against
    /// `expectedDiffID` when given. Safe to call from several processes at
    /// once. Takes the store lock for a moment: do not call it inside
    /// `Store.withLock` (flock is per open file, so the inner unlock would
    /// release the outer hold).
    @discardableResult
    public func unpack(blobAt blobPath: String, expectedDiffID: Digest? = nil,
                       ownership: OwnershipMode = .current) throws -> LayerRecord {
        guard let storeLock else { throw StoreError.io("layer store opened without its lock:", path: directory, errno: EINVAL) }
        return try unpack(blobAt: blobPath, expectedDiffID: expectedDiffID, ownership: ownership, lock: storeLock)
    }

    /// The same, with the lock given (the store's own callers hold it already).
    @discardableResult
    public func unpack(blobAt blobPath: String, expectedDiffID: Digest? = nil,
                       ownership: OwnershipMode = .current, lock: FileLock) throws -> LayerRecord {
        try unpack(blobAt: blobPath, expectedDiffID: expectedDiffID, ownership: ownership, lock: lock, beforeMove: nil)
    }

    /// `beforeMove` is told the layer's diffID before the layer appears
    /// under its name (an import journals it there).
    func unpack(blobAt blobPath: String, expectedDiffID: Digest? = nil, ownership: OwnershipMode = .current,
                lock: FileLock, beforeMove: ((Digest) throws -> Void)?) throws -> LayerRecord {
        if let d = expectedDiffID, let r = record(d) { return r }
        let staging = try makeStaging()
        defer { staging.release() }
        let unpacker = try LayerUnpacker(destination: staging.path + "/diff", ownership: ownership)
        let result = try unpacker.unpack(fileAt: blobPath)
        if let d = expectedDiffID, d != result.diffID {
            throw StoreError.digestMismatch(expected: d, actual: result.diffID)
        }
        let record = LayerRecord(diffID: result.diffID, size: result.size, entries: result.entries,
                                 ownership: ownership.rawValue, created: Date())
        try AtomicFile.write(try JSONEncoder.store.encode(record), to: staging.path + "/layer.json",
                             syncDirectory: false)
        try lock.withLock {
            if contains(result.diffID) { return }
            try beforeMove?(result.diffID)
            let target = folder(for: result.diffID)
            if access(target, F_OK) == 0 { try removeTree(target) }   // a half-removed layer
            try check(rename(staging.path, target), "cannot move layer into", target)
            staging.moved = true
            try AtomicFile.syncDir(directory)
        }
        return self.record(result.diffID) ?? record
    }

    /// Removes a layer: renamed away first, so it disappears at once.
    public func delete(_ diffID: Digest) throws {
        let target = folder(for: diffID)
        guard access(target, F_OK) == 0 else { return }
        let doomed = directory + "/tmp-rm-\(diffID.hex.prefix(12))-\(UInt32.random(in: 0...UInt32.max))"
        try check(rename(target, doomed), "cannot remove layer", target)
        try removeTree(doomed)
    }

    final class Staging {
        let path: String
        let fd: Int32
        var moved = false
        init(path: String, fd: Int32) { self.path = path; self.fd = fd }
        func release() {
            if !moved { try? removeTree(path) }
            close(fd)
        }
    }

    /// A locked `tmp-*` folder: the lock tells a later open it is in use.
    func makeStaging() throws -> Staging {
        let path = directory + "/tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try check(mkdir(path, 0o700), "cannot create", path)
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw StoreError.io("cannot open", path: path, errno: errno) }
        flock(fd, LOCK_EX)
        return Staging(path: path, fd: fd)
    }

    /// Removes `tmp-*` folders no live process holds (left by a kill -9).
    func collectLeftovers() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix("tmp-") {
            let p = directory + "/" + name
            let fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd < 0 { continue }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { try? removeTree(p) }
            close(fd)
        }
    }
}

/// rm -rf that first makes read-only folders writable (image layers have
/// them), then hands what is left to `LayerStore.privilegedRemover`.
public func removeTree(_ path: String) throws {
    var st = stat()
    guard lstat(path, &st) == 0 else { return }
    func remove(_ p: String) {
        var s = stat()
        guard lstat(p, &s) == 0 else { return }
        if (s.st_mode & S_IFMT) == S_IFDIR {
            if s.st_mode & 0o700 != 0o700 { chmod(p, 0o700) }
            if let dir = opendir(p) {
                var names: [String] = []
                while let e = readdir(dir) {
                    let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                    }
                    if name != "." && name != ".." { names.append(name) }
                }
                closedir(dir)
                for n in names { remove(p + "/" + n) }
            }
            rmdir(p)
        } else {
            unlink(p)
        }
    }
    remove(path)
    if lstat(path, &st) == 0 {
        if let remover = LayerStore.privilegedRemover { try remover(path) } else {
            throw StoreError.io("cannot remove", path: path, errno: EACCES)
        }
    }
}
