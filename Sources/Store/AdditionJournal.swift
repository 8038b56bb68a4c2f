import Foundation
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// What an import or load is adding to the store before an image names it:
/// `journal/<pid>-<n>`, one line per blob or layer (`blob HEX`, `layer HEX`),
/// written before the blob or layer is moved into place. The writer holds an
/// flock on it; a journal nobody holds was left by a killed process, and
/// opening the store removes what it lists that no image or container uses,
/// so a kill -9 mid-load gives its space back instead of leaving invisible
/// blobs. (The build cache's blobs are not journaled: they are meant to stay.)
final class AdditionJournal {
    let path: String
    private var fd: Int32

    init(directory: String) throws {
        try makeDirectory(directory, mode: 0o700)
        path = directory + "/\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o600)
        if fd < 0 { throw StoreError.io("cannot create", path: path, errno: errno) }
        flock(fd, LOCK_EX)
    }

    deinit { finish() }

    func addingBlob(_ digest: Digest) throws { try append("blob " + digest.hex) }
    func addingLayer(_ diffID: Digest) throws { try append("layer " + diffID.hex) }

    /// A line per addition; no fsync: a journal line lost in a power cut only
    /// leaves an unused blob, never a broken store.
    private func append(_ line: String) throws {
        let bytes = Array((line + "\n").utf8)
        try bytes.withUnsafeBytes { try AtomicFile.writeAll(fd, $0, path: path) }
    }

    /// The additions are now named by an image, or were removed: forget them.
    func finish() {
        guard fd >= 0 else { return }
        unlink(path)
        close(fd)
        fd = -1
    }

    /// The blobs and layers listed by journals whose writer is gone; each
    /// such journal is handed to `collect` and then removed.
    static func collectAbandoned(in directory: String, _ collect: (Set<Digest>, [Digest]) -> Void) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            let p = directory + "/" + name
            let fd = open(p, O_RDONLY | O_CLOEXEC)
            if fd < 0 { continue }
            defer { close(fd) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }
            let (blobs, layers) = parse((try? readFileIfPresent(p)) ?? Data())
            collect(blobs, layers)
            unlink(p)
        }
    }

    /// The lines of a journal; a torn or foreign line is skipped.
    static func parse(_ data: Data) -> (blobs: Set<Digest>, layers: [Digest]) {
        var blobs = Set<Digest>(), layers: [Digest] = []
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 2, let d = try? Digest(sha256Hex: String(f[1])) else { continue }
            if f[0] == "blob" { blobs.insert(d) } else if f[0] == "layer" { layers.append(d) }
        }
        return (blobs, layers)
    }
}
