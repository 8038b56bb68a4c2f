import Foundation
import OCI
import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// The files of an image archive (docker-archive or OCI layout, plain or
/// compressed), read in one pass from a stream: every regular file goes
/// straight into the blob store (content-addressed, so nothing is trusted by
/// name), small ones are also kept in memory to be parsed. Links inside the
/// archive are followed only to other entries of the archive.
final class ImageArchiveContents {
    /// Archive path (cleaned) -> blob holding its bytes.
    var files: [String: Digest] = [:]
    /// Archive path -> the path it links to (symlinks resolved relative to their folder; hardlinks as given).
    var links: [String: String] = [:]
    /// Bytes of small files (JSON), by archive path.
    var small: [String: Data] = [:]
    /// Blobs this load put in the store (removed again unless an image needs them).
    var added = Set<Digest>()
    static let smallLimit = 8 << 20

    init() {}

    /// Reads the whole archive; on failure `added` says which blobs it had put in the store.
    func read(fd: Int32, blobs: BlobStore, journal: AdditionJournal? = nil) throws {
        let a = archive_read_new()!
        defer { archive_read_free(a) }
        archive_read_support_filter_all(a)
        archive_read_support_format_tar(a)
        guard archive_read_open_fd(a, fd, 1 << 17) == ARCHIVE_OK else { throw Self.error(a) }
        do {
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 17, alignment: 16)
            defer { buffer.deallocate() }
            var entryPointer: OpaquePointer?
            while true {
                let r = archive_read_next_header(a, &entryPointer)
                if r == ARCHIVE_EOF { break }
                guard r >= ARCHIVE_WARN, let entry = entryPointer else { throw Self.error(a) }
                let raw = String(cString: archive_entry_pathname(entry))
                let path = try Self.clean(raw)
                if let h = archive_entry_hardlink(entry) {
                    links[path] = try Self.clean(String(cString: h))
                    continue
                }
                switch archive_entry_filetype(entry) {
                case AE_IFDIR: continue
                case AE_IFLNK:
                    let target = String(cString: archive_entry_symlink(entry))
                    let base = path.split(separator: "/").dropLast().joined(separator: "/")
                    links[path] = try Self.resolve(target.hasPrefix("/") ? target : base + "/" + target, raw: raw)
                    continue
                case AE_IFREG: break
                default: throw StoreError.brokenImageArchive("\(raw) is a device or fifo; image archives hold files, folders and links")
                }
                let size = archive_entry_size(entry)
                var expected: Digest?
                if path.hasPrefix("blobs/sha256/") { expected = try? Digest(sha256Hex: String(path.dropFirst(13))) }
                let writer = try blobs.beginWrite(expected: expected, expectedSize: size)
                var keep = size <= Self.smallLimit ? Data() : nil
                do {
                    while true {
                        let n = archive_read_data(a, buffer, 1 << 17)
                        if n < 0 { throw Self.error(a) }
                        if n == 0 { break }
                        let bytes = UnsafeRawBufferPointer(start: buffer, count: n)
                        try writer.write(bytes)
                        keep?.append(contentsOf: bytes)
                    }
                    let existed = blobs.contains(writer.digestSoFar)
                    if !existed { try journal?.addingBlob(writer.digestSoFar) }
                    let digest = try writer.commit()
                    if !existed { added.insert(digest) }
                    files[path] = digest
                    if let keep { small[path] = keep }
                } catch let e as StoreError {
                    writer.abort()
                    if case .digestMismatch = e { throw StoreError.brokenImageArchive("\(raw) does not hold the blob its name says: \(e)") }
                    throw e
                }
            }
        }
    }

    static func error(_ a: OpaquePointer) -> StoreError {
        StoreError.brokenImageArchive(archive_error_string(a).map { String(cString: $0) } ?? "unreadable")
    }

    /// An archive path without `./`, refusing `..` (names only ever look
    /// things up in this archive, but such a name is a sign of a hostile one).
    static func clean(_ raw: String) throws -> String {
        do { return try cleanPath(raw.hasPrefix("/") ? String(raw.drop { $0 == "/" }) : raw) } catch {
            throw StoreError.brokenImageArchive("entry \(raw) leads outside the archive")
        }
    }

    /// A link target within the archive: `..` steps back a folder, never above the top.
    static func resolve(_ target: String, raw: String) throws -> String {
        var parts: [Substring] = []
        for c in target.split(separator: "/") where c != "." {
            if c == ".." {
                guard !parts.isEmpty else { throw StoreError.brokenImageArchive("link \(raw) leads outside the archive") }
                parts.removeLast()
            } else {
                parts.append(c)
            }
        }
        return parts.joined(separator: "/")
    }

    /// The blob behind `name`, following links within the archive.
    func blob(_ name: String) throws -> Digest {
        var path = try Self.clean(name)
        for _ in 0..<16 {
            if let d = files[path] { return d }
            guard let next = links[path] else { break }
            path = next
        }
        throw StoreError.brokenImageArchive("\(name) is missing from the archive")
    }

    func data(_ name: String) throws -> Data {
        let d = try blob(name)
        guard let path = files.first(where: { $0.value == d })?.key, let data = small[path] else {
            throw StoreError.brokenImageArchive("\(name) is too large to be the JSON file it should be")
        }
        return data
    }

    func has(_ name: String) -> Bool { (try? blob(name)) != nil }
}
