import Foundation
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// An image read from an archive, not yet recorded.
struct PendingImage {
    var manifest: ImageManifest
    var manifestData: Data?
    var tags: [Reference]
}

extension Store {
    /// `hutch load`: reads a docker-archive or an OCI layout tar (plain,
    /// gzip, zstd...) from `fd` and records its images, all at once or none.
    /// Returns Docker's lines: `Loaded image: NAME:TAG` per tag, or
    /// `Loaded image ID: sha256:...` for an image without one.
    public func loadImages(from fd: Int32) throws -> [String] {
        let contents = ImageArchiveContents()
        let journal = try AdditionJournal(directory: journalDirectory)
        defer { journal.finish() }
        var newLayers: [Digest] = []
        var needed = Set<Digest>()
        let lines: [String]
        do {
            try contents.read(fd: fd, blobs: blobs, journal: journal)
            let pending: [PendingImage]
            if contents.has("manifest.json") {
                pending = try dockerArchiveImages(contents)
            } else if contents.has("index.json") {
                pending = try ociLayoutImages(contents)
            } else {
                throw StoreError.brokenImageArchive("it has neither manifest.json (docker-archive) nor index.json (OCI layout)")
            }
            guard !pending.isEmpty else { throw StoreError.brokenImageArchive("it names no image") }
            for image in pending {
                let config = try configChecked(image.manifest.config.digest)
                guard config.rootfs.diffIDs.count == image.manifest.layers.count else {
                    throw StoreError.brokenImageArchive(
                        "image \(image.manifest.config.digest.shortHex) has \(image.manifest.layers.count) layers but its config lists \(config.rootfs.diffIDs.count)")
                }
                needed.insert(image.manifest.config.digest)
                for (layer, diffID) in zip(image.manifest.layers, config.rootfs.diffIDs) {
                    guard blobs.contains(layer.digest) else {
                        throw StoreError.brokenImageArchive("layer \(layer.digest) is missing from the archive")
                    }
                    needed.insert(layer.digest)
                    if layers.contains(diffID) { continue }
                    try journal.addingLayer(diffID)
                    try layers.unpack(blobAt: blobs.path(for: layer.digest), expectedDiffID: diffID)
                    newLayers.append(diffID)
                }
            }
            let records = try addImages(pending)
            needed.formUnion(records.map(\.manifestDigest))
            lines = zip(pending, records).flatMap { image, record in
                image.tags.isEmpty ? ["Loaded image ID: " + record.id.description]
                                   : image.tags.map { "Loaded image: " + $0.withDefaultTag().familiarString }
            }
        } catch {
            // Nothing of a failed load stays: its blobs and the layers it unpacked go.
            removeUnreferenced(blobs: contents.added, layers: newLayers)
            throw error
        }
        removeUnreferenced(blobs: contents.added.subtracting(needed), layers: [])
        return lines
    }

    private func configChecked(_ digest: Digest) throws -> ImageConfig {
        do { return try config(of: digest) } catch let e as StoreError { throw e } catch {
            throw StoreError.brokenImageArchive("config \(digest.shortHex): \(error)")
        }
    }

    private func dockerArchiveImages(_ contents: ImageArchiveContents) throws -> [PendingImage] {
        let entries: [DockerArchiveManifest]
        do { entries = try JSONDecoder().decode([DockerArchiveManifest].self, from: contents.data("manifest.json")) } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError.brokenImageArchive("manifest.json is not a docker-archive manifest: \(error)")
        }
        return try entries.map { entry in
            let configDigest = try contents.blob(entry.config)
            let layers = try entry.layers.map { name -> Descriptor in
                let digest = try contents.blob(name)
                return Descriptor(mediaType: layerMediaType(digest), digest: digest, size: blobs.size(of: digest) ?? 0)
            }
            let manifest = ImageManifest(config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest,
                                                            size: blobs.size(of: configDigest) ?? 0),
                                         layers: layers)
            let tags = try (entry.repoTags ?? []).map { text -> Reference in
                guard let ref = try? Reference(parsing: text), ref.digest == nil else {
                    throw StoreError.brokenImageArchive("RepoTags has \(text), which is not an image name")
                }
                return ref.withDefaultTag()
            }
            return PendingImage(manifest: manifest, manifestData: nil, tags: tags)
        }
    }

    private func ociLayoutImages(_ contents: ImageArchiveContents) throws -> [PendingImage] {
        let index: ImageIndex
        do { index = try ImageIndex.decode(contents.data("index.json")) } catch let e as StoreError { throw e } catch {
            throw StoreError.brokenImageArchive("index.json: \(error)")
        }
        return try index.manifests.map { descriptor in
            var (manifest, data) = try manifest(descriptor, contents, depth: 0)
            if manifest.mediaType == nil { manifest.mediaType = MediaType.ociManifest; data = nil }
            var tags: [Reference] = []
            let names = [descriptor.annotations?["io.containerd.image.name"], descriptor.annotations?["org.opencontainers.image.ref.name"]]
            // ref.name alone ("latest") names no repository: only a full name becomes a tag.
            if let name = names.compactMap({ $0 }).first(where: { $0.contains(":") || $0.contains("/") }),
               let ref = try? Reference(parsing: name), ref.digest == nil {
                tags = [ref.withDefaultTag()]
            }
            return PendingImage(manifest: manifest, manifestData: data, tags: tags)
        }
    }

    /// The image manifest a descriptor leads to, through an index for this host's platform.
    private func manifest(_ d: Descriptor, _ contents: ImageArchiveContents, depth: Int) throws -> (ImageManifest, Data?) {
        guard contents.has("blobs/sha256/" + d.hex) || blobs.contains(d.digest), depth < 4 else {
            throw StoreError.brokenImageArchive("blob \(d.digest) named by the index is missing from the archive")
        }
        let data = try blobs.read(d.digest)
        do {
            switch try ManifestKind.decode(data, mediaType: d.mediaType.isEmpty ? nil : d.mediaType) {
            case .manifest(let m): return (m, data)
            case .index(let i):
                guard let next = i.manifest(for: Platform.host) else {
                    throw StoreError.brokenImageArchive("no image for \(Platform.host) in index \(d.digest.shortHex)")
                }
                return try manifest(next, contents, depth: depth + 1)
            }
        } catch let e as StoreError { throw e } catch {
            throw StoreError.brokenImageArchive("manifest \(d.digest.shortHex): \(error)")
        }
    }

    /// From the blob's first bytes: gzip, zstd, else a plain tar.
    func layerMediaType(_ digest: Digest) -> String {
        let fd = Glibc.open(blobs.path(for: digest), O_RDONLY | O_CLOEXEC)
        var head = [UInt8](repeating: 0, count: 4)
        if fd >= 0 { _ = read(fd, &head, 4); close(fd) }
        if head.starts(with: [0x1f, 0x8b]) { return MediaType.ociLayerGzip }
        if head.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return MediaType.ociLayerZstd }
        return MediaType.ociLayer
    }
}

extension Descriptor {
    var hex: String { digest.hex }
}
