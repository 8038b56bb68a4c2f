import Foundation
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// An image as the commands show it: its record, tags and config.
public struct ImageSummary: Sendable {
    public var record: ImageRecord
    public var tags: [Reference]
    public var id: Digest { record.id }
}

extension Store {
    /// Finds an image by name (`python`, `user/app:v1`), full ID
    /// (`sha256:...`) or an ID prefix of at least 4 hex digits, like Docker.
    public func resolveImage(_ text: String, in table: ImageTable? = nil) throws -> ImageRecord {
        let table = try table ?? images.load()
        var hexPrefix = text
        if hexPrefix.hasPrefix("sha256:") { hexPrefix.removeFirst(7) }
        if hexPrefix.count >= 4, hexPrefix.count <= 64, hexPrefix.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) {
            let matches = table.images.values.filter { $0.id.hex.hasPrefix(hexPrefix) }
            if matches.count == 1 { return matches[0] }
            if matches.count > 1 { throw StoreError.imageUnknown("\(text) is ambiguous: several images start with it") }
        }
        if let ref = try? Reference(parsing: text) {
            let full = ref.withDefaultTag()
            if let id = table.tags[full.description], let r = table.record(id) { return r }
            if let digest = ref.digest,
               let r = table.images.values.first(where: { $0.manifestDigest == digest && $0.repoDigests.contains(ref.repository.description + "@" + digest.description) || $0.manifestDigest == digest }) {
                return r
            }
            throw StoreError.imageUnknown(full.familiarString)
        }
        throw StoreError.imageUnknown(text)
    }

    /// The parsed config of an image.
    public func config(of id: Digest) throws -> ImageConfig {
        try ImageConfig.decode(blobs.read(id))
    }

    public func manifest(of record: ImageRecord) throws -> ImageManifest {
        try ImageManifest.decode(blobs.read(record.manifestDigest))
    }

    /// Every image with its tags, newest first (the order `images` prints).
    public func listImages() throws -> [ImageSummary] {
        let table = try images.load()
        return table.images.values.map { ImageSummary(record: $0, tags: table.tags(of: $0.id)) }
            .sorted { ($0.record.created, $0.id.hex) > ($1.record.created, $1.id.hex) }
    }

    /// Records an image whose blobs and layers are already stored, and
    /// points `tags` at it, in one atomic update of images.json.
    @discardableResult
    public func addImage(manifest: ImageManifest, manifestData: Data? = nil, tags: [Reference] = [],
                         repoDigest: Reference? = nil) throws -> ImageRecord {
        try addImages([PendingImage(manifest: manifest, manifestData: manifestData, tags: tags)],
                      repoDigest: repoDigest)[0]
    }

    /// Several images in one update of images.json: all appear, or none.
    func addImages(_ pending: [PendingImage], repoDigest: Reference? = nil) throws -> [ImageRecord] {
        var prepared: [(record: ImageRecord, tags: [Reference])] = []
        for image in pending {
            let manifest = image.manifest
            let data = try image.manifestData ?? manifest.encoded()
            let manifestDigest = try blobs.put(data)
            let config = try self.config(of: manifest.config.digest)
            for diffID in config.rootfs.diffIDs where !layers.contains(diffID) {
                throw StoreError.layerUnknown(diffID)
            }
            let size = config.rootfs.diffIDs.reduce(Int64(0)) { $0 + (layers.record($1)?.size ?? 0) }
            prepared.append((ImageRecord(id: manifest.config.digest, manifestDigest: manifestDigest,
                                         created: config.createdDate ?? Date(), size: size), image.tags))
        }
        return try withLock {
            try images.update { table in
                prepared.map { fresh, tags in
                    var record = table.record(fresh.id) ?? fresh
                    if let r = repoDigest, !record.repoDigests.contains(r.description) { record.repoDigests.append(r.description) }
                    table.images[record.id.description] = record
                    for t in tags { table.tags[t.withDefaultTag().description] = record.id }
                    return record
                }
            }
        }
    }

    /// `hutch tag SOURCE TARGET`.
    public func tag(_ source: String, as target: String) throws {
        let ref = try Reference(parsing: target)
        guard ref.digest == nil else { throw StoreError.conflict("refusing to create a tag with a digest reference") }
        try withLock {
            try images.update { table in
                let record = try resolveImage(source, in: table)
                table.tags[ref.withDefaultTag().description] = record.id
            }
        }
    }

    /// Containers (running or stopped) made from image `id`.
    public func containers(using id: Digest) -> [ContainerRecord] {
        containers.all().filter { $0.imageID == id }
    }

    /// `hutch rmi`: untags `name`; when no tag is left (or `force`), deletes
    /// the image and the layers no other image uses. Returns Docker's lines
    /// (`Untagged: ...`, `Deleted: sha256:...`).
    public func removeImage(_ name: String, force: Bool = false) throws -> [String] {
        try withLock {
            let table = try images.load()
            let record = try resolveImage(name, in: table)
            let tags = table.tags(of: record.id)
            let byTag = (try? Reference(parsing: name)).map { table.tags[$0.withDefaultTag().description] == record.id } ?? false
            let users = containers(using: record.id)
            // Docker: removing one of several tags only untags; by ID it needs -f.
            if byTag && tags.count > 1 && !force {
                let ref = try Reference(parsing: name).withDefaultTag()
                try images.update { $0.tags.removeValue(forKey: ref.description) }
                return ["Untagged: " + ref.familiarString]
            }
            if !byTag && tags.count > 1 && !force {
                throw StoreError.conflict("unable to delete \(record.id.shortHex) (must be forced) - image is referenced in multiple repositories")
            }
            if let c = users.first, !force {
                let state = c.state == .running ? "running" : "stopped"
                throw StoreError.conflict("unable to delete \(byTag ? name : record.id.shortHex) (must be forced) - image is being used by \(state) container \(c.shortID)")
            }
            var lines = tags.map { "Untagged: " + $0.familiarString }
            lines += record.repoDigests.compactMap { try? Reference(parsing: $0).familiarString }.map { "Untagged: " + $0 }
            if let running = users.first(where: { $0.state == .running }) {
                throw StoreError.conflict("unable to delete \(byTag ? name : record.id.shortHex) (cannot be forced) - image is being used by running container \(running.shortID)")
            }
            // Docker deletes an image only stopped containers use (the
            // lecture's `rmi -f`); their layers stay, so they can still start.
            lines += try deleteImageLocked(record, table: table).lines
            return lines
        }
    }

    /// Removes the record, its tags, then the layers and blobs nothing else
    /// needs. The containers of this image count as users: a stopped one
    /// keeps the config and layers it runs on (`releaseImage` removes them
    /// with the last such container). `freed`: the sizes of the layers deleted.
    func deleteImageLocked(_ record: ImageRecord, table: ImageTable) throws -> (lines: [String], freed: Int64) {
        let config = try? config(of: record.id)
        let manifest = try? manifest(of: record)
        var remaining = table
        remaining.images.removeValue(forKey: record.id.description)
        remaining.tags = remaining.tags.filter { $0.value != record.id }
        try images.update { $0 = remaining }
        var lines = ["Deleted: " + record.id.description]
        var freed: Int64 = 0
        let used = usedContent()
        var stillUsed = used.layers
        for diffID in (config?.rootfs.diffIDs ?? []).reversed() where !stillUsed.contains(diffID) {
            if layers.contains(diffID) {
                let size = layers.record(diffID)?.size ?? 0
                try layers.delete(diffID)
                freed += size
                lines.append("Deleted: " + diffID.description)
            }
            stillUsed.insert(diffID)
        }
        for d in [record.id, record.manifestDigest] + (manifest?.layers.map(\.digest) ?? []) where !used.blobs.contains(d) {
            blobs.delete(d)
        }
        return (lines, freed)
    }

    /// `image prune`: dangling images (no tag), or with `all` every image no
    /// container uses. Returns Docker's lines (`untagged: NAME`, `deleted:
    /// sha256:...`) and the bytes reclaimed: the sizes of the layers deleted
    /// (a layer another image keeps frees nothing).
    public func pruneImages(all: Bool) throws -> (lines: [String], reclaimed: Int64) {
        try withLock {
            var lines: [String] = []
            var reclaimed: Int64 = 0
            let used = Set(containers.all().map(\.imageID))
            for record in try images.load().images.values.sorted(by: { $0.id < $1.id }) {
                let table = try images.load()
                let tags = table.tags(of: record.id)
                guard !used.contains(record.id), all || tags.isEmpty else { continue }
                lines += tags.map { "untagged: " + $0.familiarString }
                lines += record.repoDigests.compactMap { try? Reference(parsing: $0).familiarString }.map { "untagged: " + $0 }
                let deleted = try deleteImageLocked(record, table: table)
                lines += deleted.lines.map { $0.replacingOccurrences(of: "Deleted: ", with: "deleted: ") }
                reclaimed += deleted.freed
            }
            return (lines, reclaimed)
        }
    }
}
