import Foundation
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// Content-addressed blobs under `blobs/sha256/<hex>`. A blob appears under
/// its name only after its bytes were hashed, checked and synced, so a blob
/// in the store is always whole. Partial downloads live in
/// `blobs/incoming/<hex>` and can be resumed; anonymous writes in
/// `blobs/tmp/`.
public final class BlobStore: @unchecked Sendable {
    public let directory: String
    var incoming: String { directory + "/incoming" }
    var tmp: String { directory + "/tmp" }

    init(directory: String) throws {
        self.directory = directory
        try makeDirectory(directory)
        try makeDirectory(directory + "/sha256")
        try makeDirectory(incoming)
        try makeDirectory(tmp)
    }

    /// The file holding `digest`'s bytes (it may not exist).
    public func path(for digest: Digest) -> String {
        directory + "/" + digest.algorithm + "/" + digest.hex
    }

    public func contains(_ digest: Digest) -> Bool {
        access(path(for: digest), F_OK) == 0
    }

    /// The blob's size, or nil when it is not stored.
    public func size(of digest: Digest) -> Int64? {
        var st = stat()
        return stat(path(for: digest), &st) == 0 ? Int64(st.st_size) : nil
    }

    /// The whole blob (for manifests and configs; stream layers from `path(for:)`).
    public func read(_ digest: Digest) throws -> Data {
        guard let data = try readFileIfPresent(path(for: digest)) else { throw StoreError.blobUnknown(digest) }
        return data
    }

    /// Stores `data`, returning its sha256; checks it against `expected` when given.
    @discardableResult
    public func put(_ data: Data, expected: Digest? = nil) throws -> Digest {
        let writer = try beginWrite(expected: expected)
        do {
            try writer.write(data)
            return try writer.commit()
        } catch {
            writer.abort()
            throw error
        }
    }

    /// Starts writing a blob. With `expected` and `resumable`, bytes already
    /// received by an earlier, interrupted write are kept: `writer.offset`
    /// says where to continue (an HTTP Range start), and the hash covers them.
    /// Two processes writing the same digest take turns on its lock.
    public func beginWrite(expected: Digest? = nil, expectedSize: Int64? = nil, resumable: Bool = false) throws -> BlobWriter {
        if let expected, resumable {
            let partial = incoming + "/" + expected.hex
            return try BlobWriter(store: self, path: partial, expected: expected, expectedSize: expectedSize, resume: true)
        }
        let path = tmp + "/tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        return try BlobWriter(store: self, path: path, expected: expected, expectedSize: expectedSize, resume: false)
    }

    /// Removes a blob (callers hold the store lock and know nothing uses it).
    public func delete(_ digest: Digest) {
        unlink(path(for: digest))
    }

    /// Every stored sha256 blob.
    public func all() -> [Digest] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/sha256")) ?? []
        return names.compactMap { try? Digest(sha256Hex: $0) }
    }

    /// Removes temporary files no live writer holds (left by a kill -9).
    func collectLeftovers() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] {
            let p = tmp + "/" + name
            let fd = open(p, O_RDONLY | O_CLOEXEC)
            if fd < 0 { continue }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { unlink(p) }
            close(fd)
        }
    }
}

/// One blob being written: bytes go to a locked temporary file and are
/// hashed as they pass; `commit()` verifies and renames into place.
public final class BlobWriter {
    let store: BlobStore
    let path: String
    let expected: Digest?
    let expectedSize: Int64?
    private var fd: Int32
    private var hasher = DigestHasher()
    private var done = false

    /// Bytes in the blob so far (after a resume, what was already there).
    public var offset: Int64 { hasher.count }

    init(store: BlobStore, path: String, expected: Digest?, expectedSize: Int64?, resume: Bool) throws {
        self.store = store
        self.path = path
        self.expected = expected
        self.expectedSize = expectedSize
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { throw StoreError.io("cannot create", path: path, errno: errno) }
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        if resume {
            // Hash what an earlier attempt left; a partial longer than the
            // expected size is garbage and starts over.
            var st = stat()
            fstat(fd, &st)
            if let expectedSize, Int64(st.st_size) > expectedSize { ftruncate(fd, 0) }
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            }
            lseek(fd, off_t(hasher.count), SEEK_SET)
        } else {
            ftruncate(fd, 0)
        }
    }

    deinit { if !done { abortKeepingPartial() } }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if let expectedSize, hasher.count + Int64(bytes.count) > expectedSize {
            throw StoreError.sizeMismatch(expected: expectedSize, actual: hasher.count + Int64(bytes.count))
        }
        try AtomicFile.writeAll(fd, bytes, path: path)
        hasher.update(bytes)
    }

    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// Verifies digest and size, syncs, and moves the blob into place.
    /// A mismatch discards the bytes.
    @discardableResult
    public func commit() throws -> Digest {
        let actual = hasher.finalize()
        if let expected, expected != actual {
            abort()
            throw StoreError.digestMismatch(expected: expected, actual: actual)
        }
        if let expectedSize, expectedSize != hasher.count {
            abort()
            throw StoreError.sizeMismatch(expected: expectedSize, actual: hasher.count)
        }
        try check(fsync(fd), "cannot sync", path)
        let target = store.path(for: actual)
        try check(rename(path, target), "cannot store blob", target)
        try AtomicFile.syncDir(store.directory + "/sha256")
        done = true
        close(fd)
        return actual
    }

    /// Drops the bytes.
    public func abort() {
        guard !done else { return }
        done = true
        unlink(path)
        close(fd)
    }

    /// Closes without deleting, so a resumable download continues later.
    public func abortKeepingPartial() {
        guard !done else { return }
        done = true
        if path.hasPrefix(store.tmp) { unlink(path) }
        close(fd)
    }
}
