import Foundation
import OCI
import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// The two archive layouts `save` writes and `load` reads.
public enum ImageArchiveFormat: String, Sendable, CaseIterable {
    /// What `docker save` writes and `docker load` reads: manifest.json,
    /// repositories, `<config hex>.json`, `<diffID hex>/layer.tar` (uncompressed).
    case docker = "docker-archive"
    /// An OCI image layout in a tar: oci-layout, index.json, blobs/sha256/<hex>.
    case oci = "oci-archive"

    /// `docker`, `docker-archive`, `oci`, `oci-archive`.
    public init?(name: String) {
        switch name.lowercased() {
        case "docker", "docker-archive": self = .docker
        case "oci", "oci-archive": self = .oci
        default: return nil
        }
    }
}

/// One entry of `manifest.json` in a docker-archive.
struct DockerArchiveManifest: Codable {
    var config: String
    var repoTags: [String]?
    var layers: [String]
    enum CodingKeys: String, CodingKey {
        case config = "Config", repoTags = "RepoTags", layers = "Layers"
    }
}

extension Store {
    /// `hutch save`: writes `names` (tags, IDs or ID prefixes) as one tar to `fd`.
    public func saveImages(_ names: [String], format: ImageArchiveFormat, to fd: Int32) throws {
        guard !names.isEmpty else { throw StoreError.imageUnknown("(none given)") }
        let table = try images.load()
        var chosen: [(record: ImageRecord, tag: Reference?)] = []
        for name in names {
            let record = try resolveImage(name, in: table)
            let byTag = (try? Reference(parsing: name)).map { table.tags[$0.withDefaultTag().description] == record.id } ?? false
            chosen.append((record, byTag ? try Reference(parsing: name).withDefaultTag() : nil))
        }
        let tar = try TarWriter(fd: fd)
        switch format {
        case .docker: try writeDockerArchive(chosen, into: tar)
        case .oci: try writeOCILayout(chosen, into: tar)
        }
        try tar.finish()
    }

    private func writeDockerArchive(_ chosen: [(record: ImageRecord, tag: Reference?)], into tar: TarWriter) throws {
        var entries: [DockerArchiveManifest] = []
        var repositories: [String: [String: String]] = [:]
        var written = Set<String>()
        for (record, tag) in chosen {
            let manifest = try self.manifest(of: record)
            let config = try self.config(of: record.id)
            guard manifest.layers.count == config.rootfs.diffIDs.count else {
                throw StoreError.corrupt("manifest has \(manifest.layers.count) layers, config \(config.rootfs.diffIDs.count)",
                                         path: blobs.path(for: record.manifestDigest))
            }
            let configName = record.id.hex + ".json"
            if written.insert(configName).inserted { try tar.addFile(configName, path: blobs.path(for: record.id)) }
            var layerNames: [String] = []
            for (layer, diffID) in zip(manifest.layers, config.rootfs.diffIDs) {
                let name = diffID.hex + "/layer.tar"
                layerNames.append(name)
                guard written.insert(name).inserted else { continue }
                try tar.addDirectory(diffID.hex)
                try addUncompressedLayer(layer, diffID: diffID, as: name, into: tar)
            }
            let tags = tag.map { [$0.familiarString] } ?? []
            if let entry = entries.firstIndex(where: { $0.config == configName }) {
                entries[entry].repoTags = (entries[entry].repoTags ?? []) + tags
            } else {
                entries.append(DockerArchiveManifest(config: configName, repoTags: tags.isEmpty ? nil : tags, layers: layerNames))
            }
            if let tag, let top = config.rootfs.diffIDs.last {
                repositories[tag.familiarName, default: [:]][tag.tag ?? "latest"] = top.hex
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if !repositories.isEmpty { try tar.addFile("repositories", data: try encoder.encode(repositories)) }
        try tar.addFile("manifest.json", data: try encoder.encode(entries))
    }

    /// A layer as the uncompressed tar its diffID names (what docker load
    /// checks), decompressed into a temporary blob first: a tar header
    /// needs the size before the bytes.
    private func addUncompressedLayer(_ layer: Descriptor, diffID: Digest, as name: String, into tar: TarWriter) throws {
        let source = blobs.path(for: layer.digest)
        if layer.digest == diffID { return try tar.addFile(name, path: source) }
        let scratch = blobs.tmp + "/save-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = Glibc.open(scratch, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 { throw StoreError.io("cannot create", path: scratch, errno: errno) }
        flock(fd, LOCK_EX)   // a kill -9 leaves it unlocked, so the next open collects it
        defer { unlink(scratch); close(fd) }
        let actual = try decompress(blobAt: source, into: fd, path: scratch)
        guard actual == diffID else { throw StoreError.digestMismatch(expected: diffID, actual: actual) }
        try tar.addFile(name, path: scratch)
    }

    /// Decompresses a layer blob (gzip, zstd or plain) into `fd`, returning its sha256.
    func decompress(blobAt path: String, into fd: Int32, path scratch: String) throws -> Digest {
        let source = try DecompressedSource(path: path)
        while true {
            var chunk: UnsafeRawPointer?
            let n = withUnsafeMutablePointer(to: &chunk) { source.next($0) }
            if n < 0 { throw StoreError.brokenArchive(source.error ?? "read error") }
            if n == 0 { break }
            try AtomicFile.writeAll(fd, UnsafeRawBufferPointer(start: chunk, count: n), path: scratch)
        }
        return source.hasher.finalize()
    }

    private func writeOCILayout(_ chosen: [(record: ImageRecord, tag: Reference?)], into tar: TarWriter) throws {
        var descriptors: [Descriptor] = []
        var written = Set<Digest>()
        try tar.addFile("oci-layout", data: Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        try tar.addDirectory("blobs")
        try tar.addDirectory("blobs/sha256")
        for (record, tag) in chosen {
            let manifestData = try blobs.read(record.manifestDigest)
            let manifest = try ImageManifest.decode(manifestData)
            for d in [manifest.config.digest] + manifest.layers.map(\.digest) + [record.manifestDigest]
            where written.insert(d).inserted {
                guard blobs.contains(d) else { throw StoreError.blobUnknown(d) }
                try tar.addFile("blobs/sha256/" + d.hex, path: blobs.path(for: d))
            }
            var annotations: [String: String]?
            if let tag {
                annotations = ["io.containerd.image.name": tag.description,
                               "org.opencontainers.image.ref.name": tag.tag ?? "latest"]
            }
            descriptors.append(Descriptor(mediaType: manifest.mediaType ?? MediaType.ociManifest,
                                          digest: record.manifestDigest, size: Int64(manifestData.count),
                                          annotations: annotations))
        }
        try tar.addFile("index.json", data: try ImageIndex(manifests: descriptors).encoded())
    }
}

/// A tar stream written by libarchive to a file descriptor.
final class TarWriter {
    let archive: OpaquePointer
    let entry = archive_entry_new()!
    private let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 17, alignment: 16)

    init(fd: Int32) throws {
        archive = archive_write_new()
        archive_write_set_format_pax_restricted(archive)
        archive_write_set_bytes_in_last_block(archive, 1)
        if archive_write_open_fd(archive, fd) != ARCHIVE_OK { throw failure("cannot start the archive") }
    }

    deinit {
        archive_write_free(archive)
        archive_entry_free(entry)
        buffer.deallocate()
    }

    func failure(_ what: String) -> StoreError {
        StoreError.io(what + ":", path: archive_error_string(archive).map { String(cString: $0) } ?? "write error",
                      errno: archive_errno(archive))
    }

    private func header(_ name: String, type: UInt32, mode: mode_t, size: Int64) throws {
        archive_entry_clear(entry)
        archive_entry_set_pathname(entry, name)
        archive_entry_set_filetype(entry, type)
        archive_entry_set_perm(entry, mode)
        archive_entry_set_size(entry, size)
        archive_entry_set_mtime(entry, 0, 0)
        if archive_write_header(archive, entry) < ARCHIVE_WARN { throw failure("cannot write \(name)") }
    }

    func addDirectory(_ name: String) throws {
        try header(name, type: AE_IFDIR, mode: 0o755, size: 0)
    }

    func addFile(_ name: String, data: Data) throws {
        try header(name, type: AE_IFREG, mode: 0o644, size: Int64(data.count))
        try data.withUnsafeBytes { raw in
            if !raw.isEmpty && archive_write_data(archive, raw.baseAddress, raw.count) < 0 { throw failure("cannot write \(name)") }
        }
    }

    /// Streams the file at `path` in as `name`.
    func addFile(_ name: String, path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw StoreError.io("cannot open", path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        try header(name, type: AE_IFREG, mode: 0o644, size: Int64(st.st_size))
        var left = Int64(st.st_size)
        while left > 0 {
            let n = read(fd, buffer, Int(min(left, 1 << 17)))
            if n < 0 { if errno == EINTR { continue }; throw StoreError.io("cannot read", path: path, errno: errno) }
            if n == 0 { throw StoreError.corrupt("shorter than it was a moment ago", path: path) }
            if archive_write_data(archive, buffer, n) < 0 { throw failure("cannot write \(name)") }
            left -= Int64(n)
        }
    }

    func finish() throws {
        if archive_write_close(archive) != ARCHIVE_OK { throw failure("cannot finish the archive") }
    }
}
