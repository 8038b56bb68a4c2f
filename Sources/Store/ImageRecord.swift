import Foundation
import OCI

/// One image in the store. Its ID is the digest of its config blob.
public struct ImageRecord: Codable, Hashable, Sendable {
    public var id: Digest
    /// The manifest blob this image was stored from (pulled, loaded or made).
    public var manifestDigest: Digest
    /// Names like `docker.io/library/python@sha256:...` from a registry.
    public var repoDigests: [String]
    /// When the image was made (the config's `created`), or stored.
    public var created: Date
    /// Sum of the unpacked layers' sizes, what `hutch images` shows.
    public var size: Int64
    /// When this store got it.
    public var stored: Date

    public init(id: Digest, manifestDigest: Digest, repoDigests: [String] = [], created: Date, size: Int64,
                stored: Date = Date()) {
        self.id = id
        self.manifestDigest = manifestDigest
        self.repoDigests = repoDigests
        self.created = created
        self.size = size
        self.stored = stored
    }
}

/// The whole images.json: images by ID and tags by full name.
public struct ImageTable: Codable, Sendable {
    public var images: [String: ImageRecord] = [:]
    /// `docker.io/library/python:latest` -> image ID.
    public var tags: [String: Digest] = [:]

    public init() {}

    public func record(_ id: Digest) -> ImageRecord? { images[id.description] }

    /// Tags pointing at `id`, as full references, sorted.
    public func tags(of id: Digest) -> [Reference] {
        tags.filter { $0.value == id }.keys.sorted().compactMap { try? Reference(parsing: $0) }
    }
}
