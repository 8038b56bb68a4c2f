import Foundation
import OCI
import Store

/// What a push did: the manifest digest and size docker prints
/// (`latest: digest: sha256:... size: 528`).
public struct PushResult: Sendable {
    public var reference: Reference
    public var digest: Digest
    public var size: Int
}

/// Pushes an image of the store to a registry: its layer blobs (skipped
/// when there, mounted from another repository of the same registry when
/// the image came from one, uploaded otherwise), its config, then its
/// manifest with its own media type, under the tag.
public final class ImagePusher: @unchecked Sendable {
    public let store: Store
    public let config: HutchConfig
    public let credentials: CredentialStore
    public let display: ProgressDisplay
    public var parallelUploads = 3

    public init(store: Store, config: HutchConfig, credentials: CredentialStore = .standard(),
                display: ProgressDisplay = ProgressDisplay()) {
        self.store = store
        self.config = config
        self.credentials = credentials
        self.display = display
    }

    public func push(_ reference: Reference) async throws -> PushResult {
        let reference = reference.withDefaultTag()
        let table = try store.images.load()
        guard let imageID = table.tags[reference.description], let record = table.record(imageID) else {
            throw RegistryError.notFound("image \(reference.familiarString): An image does not exist locally with the tag: \(reference.familiarName)")
        }
        let manifestData = try store.blobs.read(record.manifestDigest)
        let manifest = try ImageManifest.decode(manifestData)
        let host = RegistryHost(name: reference.domain, config: config)
        let client = RegistryClient(host: host, credentials: credentials.credentials(for: host.name))
        let repository = reference.path
        display.message("The push refers to repository [\(reference.name)]")

        // A repository of the same registry the image came from, to mount from.
        let mountFrom = record.repoDigests.compactMap { try? Reference(parsing: $0) }
            .first { $0.domain == reference.domain && $0.path != repository }?.path

        for layer in manifest.layers {
            guard store.blobs.contains(layer.digest) else {
                throw RegistryError.protocolViolation("the store lacks layer blob \(layer.digest) of \(reference.familiarString): pull or rebuild the image")
            }
        }
        // Docker lists layers from the top one down.
        let layers = Array(manifest.layers.reversed())
        for layer in layers { display.layer(layer.digest.shortHex, "Preparing") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func startNext() {
                guard next < layers.count else { return }
                let layer = layers[next]
                next += 1
                group.addTask {
                    let id = layer.digest.shortHex
                    let result = try await client.pushBlob(repository: repository, digest: layer.digest, size: layer.size,
                                                           file: URL(fileURLWithPath: self.store.blobs.path(for: layer.digest)),
                                                           mountFrom: mountFrom)
                    switch result {
                    case .alreadyExists: self.display.layer(id, "Layer already exists")
                    case let .mounted(from): self.display.layer(id, "Mounted from \(from)")
                    case .uploaded: self.display.layer(id, "Pushed")
                    }
                }
            }
            for _ in 0..<min(max(1, parallelUploads), layers.count) { startNext() }
            while try await group.next() != nil { startNext() }
        }
        let configData = try store.blobs.read(manifest.config.digest)
        _ = try await client.pushBlob(repository: repository, digest: manifest.config.digest, data: configData)
        let mediaType = manifest.mediaType ?? MediaType.ociManifest
        let tag = reference.tag ?? Reference.defaultTag
        let digest = try await client.pushManifest(repository: repository, reference: tag, data: manifestData, mediaType: mediaType)
        display.message("\(tag): digest: \(digest) size: \(manifestData.count)")
        return PushResult(reference: reference, digest: digest, size: manifestData.count)
    }
}
