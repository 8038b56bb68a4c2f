import Foundation
import OCI
import Store

/// What a pull did, for the CLI's closing lines.
public struct PullResult: Sendable {
    public var reference: Reference
    /// The image ID: the config's digest.
    public var imageID: Digest
    /// The digest the tag resolved to (an index's when the image has one),
    /// what docker prints as `Digest:`.
    public var digest: Digest
    /// False when the image was already in the store.
    public var downloaded: Bool
}

/// Pulls an image from a registry (or its mirror) into the store: the
/// manifest for the wanted platform, its config, and its layers, downloaded
/// in parallel, verified and unpacked; then records the image and its tag.
public final class ImagePuller: @unchecked Sendable {
    public let store: Store
    public let config: HutchConfig
    public let credentials: CredentialStore
    public let display: ProgressDisplay
    /// Layers downloaded at once, as docker's max-concurrent-downloads.
    public var parallelDownloads = 3

    public init(store: Store, config: HutchConfig, credentials: CredentialStore = .standard(),
                display: ProgressDisplay = ProgressDisplay()) {
        self.store = store
        self.config = config
        self.credentials = credentials
        self.display = display
    }

    /// Pulls `reference` (tag `latest` when it has neither tag nor digest)
    /// for `platform` (the host's when nil), trying each configured
    /// location in turn (a mirror first; the original only as its fallback).
    public func pull(_ reference: Reference, platform: Platform? = nil) async throws -> PullResult {
        let reference = reference.withDefaultTag()
        let locations = config.pullLocations(registry: reference.domain, repository: reference.path)
        var lastError: Error?
        for (n, location) in locations.enumerated() {
            do {
                return try await pull(reference, from: location, platform: platform)
            } catch {
                lastError = error
                if n + 1 < locations.count {
                    FileHandle.standardError.write(Data("Warning: pulling from mirror \(location) failed (\(error)); trying \(locations[n + 1])\n".utf8))
                }
            }
        }
        throw lastError ?? RegistryError.notFound(reference.description)
    }

    func pull(_ reference: Reference, from location: RepositoryLocation, platform requested: Platform?) async throws -> PullResult {
        let platform = requested ?? .host
        let client = RegistryClient(host: location.host, credentials: credentials.credentials(for: location.host.name))
        let repository = location.repository
        let tagOrDigest = reference.digest?.description ?? reference.tag ?? Reference.defaultTag
        display.message("\(tagOrDigest): Pulling from \(reference.path)")

        let top = try await client.fetchManifest(repository: repository, reference: tagOrDigest)
        var manifestData = top.data
        var manifestDigest = top.digest
        var indexData: Data?
        let manifest: ImageManifest
        switch top.kind {
        case let .manifest(m):
            manifest = m
        case let .index(index):
            indexData = top.data
            let entry = try Self.selectManifest(in: index, for: platform, image: reference.familiarString)
            let fetched = try await client.fetchManifest(repository: repository, reference: entry.digest.description)
            guard case let .manifest(m) = fetched.kind else {
                throw RegistryError.protocolViolation("the index of \(reference) points at another index for \(platform)")
            }
            manifest = m
            manifestData = fetched.data
            manifestDigest = fetched.digest
        }

        let configData: Data
        if let stored = try? store.blobs.read(manifest.config.digest) {
            configData = stored
        } else {
            configData = try await client.fetchBlob(repository: repository, descriptor: manifest.config)
        }
        let imageConfig = try ImageConfig.decode(configData)
        // A single-platform image asked for another platform: docker refuses too.
        if let requested, case .manifest = top.kind, !requested.matches(imageConfig.platform) {
            throw RegistryError.platformMismatch(reference.familiarString, requested.description, imageConfig.platform.description)
        }
        let diffIDs = imageConfig.rootfs.diffIDs
        guard diffIDs.count == manifest.layers.count else {
            throw RegistryError.protocolViolation("\(reference) lists \(manifest.layers.count) layers but its config \(diffIDs.count)")
        }
        let imageID = manifest.config.digest
        // Docker's "up to date": the tag (or, for a digest, the image) was already there.
        let table = try? store.images.load()
        let alreadyHad = diffIDs.allSatisfy(store.layers.contains) && (reference.digest == nil
            ? table?.tags[reference.description] == imageID
            : table?.record(imageID) != nil)

        try await fetchLayers(manifest.layers, diffIDs: diffIDs, client: client, repository: repository)

        // Blobs first, then the record: an image is visible only when whole.
        try store.blobs.put(configData, expected: manifest.config.digest)
        try store.blobs.put(manifestData, expected: manifestDigest)
        if let indexData { try store.blobs.put(indexData, expected: top.digest) }
        try store.addImage(manifest: manifest, manifestData: manifestData,
                           tags: reference.digest == nil ? [reference] : [],
                           repoDigest: reference.repository.withDigest(top.digest))
        return PullResult(reference: reference, imageID: imageID, digest: top.digest, downloaded: !alreadyHad)
    }

    /// Downloads and unpacks the layers the store lacks, a few at a time.
    private func fetchLayers(_ layers: [Descriptor], diffIDs: [Digest], client: RegistryClient, repository: String) async throws {
        var pending: [(Descriptor, Digest)] = []
        for (layer, diffID) in zip(layers, diffIDs) {
            let id = layer.digest.shortHex
            if store.layers.contains(diffID) {
                display.layer(id, "Already exists")
            } else if !pending.contains(where: { $0.0.digest == layer.digest }) {
                display.layer(id, "Pulling fs layer")
                pending.append((layer, diffID))
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func startNext() {
                guard next < pending.count else { return }
                let (layer, diffID) = pending[next]
                next += 1
                group.addTask { try await self.fetchLayer(layer, diffID: diffID, client: client, repository: repository) }
            }
            let limit = max(1, parallelDownloads)
            if pending.count > limit {
                for (layer, _) in pending[limit...] { display.layer(layer.digest.shortHex, "Waiting") }
            }
            for _ in 0..<min(limit, pending.count) { startNext() }
            while try await group.next() != nil { startNext() }
        }
    }

    private func fetchLayer(_ layer: Descriptor, diffID: Digest, client: RegistryClient, repository: String) async throws {
        let id = layer.digest.shortHex
        guard MediaType.isLayer(layer.mediaType) || layer.mediaType.isEmpty else {
            throw RegistryError.protocolViolation("layer \(layer.digest) has media type \(layer.mediaType), which is not a layer")
        }
        let display = self.display
        let total = layer.size
        try await client.downloadBlob(repository: repository, descriptor: layer, into: store.blobs) { done in
            display.layer(id, "Downloading", current: done, total: total)
        }
        display.layer(id, "Verifying Checksum")
        display.layer(id, "Download complete")
        display.layer(id, "Extracting", current: 0, total: total)
        let blobPath = store.blobs.path(for: layer.digest)
        let lock = try FileLock(path: store.root + "/store.lock")
        try store.layers.unpack(blobAt: blobPath, expectedDiffID: diffID, lock: lock)
        display.layer(id, "Pull complete")
    }

    /// The index entry for `platform`, or an error that lists what the index has.
    public static func selectManifest(in index: ImageIndex, for platform: Platform, image: String) throws -> Descriptor {
        if let entry = index.manifest(for: platform) { return entry }
        let available = index.manifests.compactMap { $0.platform }
            .filter { $0.os != "unknown" }.map(\.description)
        throw RegistryError.noMatchingPlatform(image, platform.description, available)
    }
}
