import Foundation

/// One image for one platform: its config blob and its layers, in order
/// from the base (OCI image manifest, or Docker's schema 2 manifest).
public struct ImageManifest: Codable, Hashable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var artifactType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var subject: Descriptor?
    public var annotations: [String: String]?

    public init(mediaType: String = MediaType.ociManifest, config: Descriptor, layers: [Descriptor],
                annotations: [String: String]? = nil) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }

    /// Decodes a manifest, refusing schema 1 and objects that are an index.
    public static func decode(_ data: Data) throws -> ImageManifest {
        let m: ImageManifest
        do { m = try JSONDecoder().decode(ImageManifest.self, from: data) } catch {
            throw OCIError.invalidJSON(what: "image manifest", describe(error))
        }
        guard m.schemaVersion == 2 else {
            throw OCIError.invalidJSON(what: "image manifest", "schemaVersion \(m.schemaVersion) is not supported (only 2)")
        }
        if let t = m.mediaType, !MediaType.manifests.contains(t) {
            throw OCIError.unsupportedMediaType(t)
        }
        return m
    }

    /// The canonical bytes hutch writes (sorted keys, so a digest is stable).
    public func encoded() throws -> Data {
        try canonicalEncoder().encode(self)
    }
}

/// A list of manifests, one per platform (OCI index, Docker manifest list).
public struct ImageIndex: Codable, Hashable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var artifactType: String?
    public var manifests: [Descriptor]
    public var subject: Descriptor?
    public var annotations: [String: String]?

    public init(mediaType: String = MediaType.ociIndex, manifests: [Descriptor], annotations: [String: String]? = nil) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.manifests = manifests
        self.annotations = annotations
    }

    public static func decode(_ data: Data) throws -> ImageIndex {
        let i: ImageIndex
        do { i = try JSONDecoder().decode(ImageIndex.self, from: data) } catch {
            throw OCIError.invalidJSON(what: "image index", describe(error))
        }
        guard i.schemaVersion == 2 else {
            throw OCIError.invalidJSON(what: "image index", "schemaVersion \(i.schemaVersion) is not supported (only 2)")
        }
        if let t = i.mediaType, !MediaType.indexes.contains(t) {
            throw OCIError.unsupportedMediaType(t)
        }
        return i
    }

    /// The entry for `platform`, skipping attestation manifests (unknown/unknown).
    public func manifest(for platform: Platform) -> Descriptor? {
        manifests.first { d in
            guard let p = d.platform, MediaType.manifests.contains(d.mediaType) || d.mediaType.isEmpty else { return false }
            return platform.matches(p)
        }
    }

    public func encoded() throws -> Data {
        try canonicalEncoder().encode(self)
    }
}

/// What a manifest blob turned out to be, from its media type or its shape.
public enum ManifestKind: Sendable {
    case manifest(ImageManifest)
    case index(ImageIndex)

    /// Decodes by `mediaType` (the Content-Type a registry sent, or the
    /// document's own field when nil).
    public static func decode(_ data: Data, mediaType: String? = nil) throws -> ManifestKind {
        struct Probe: Decodable { var mediaType: String?; var manifests: [AnyDecodable]? }
        struct AnyDecodable: Decodable { init(from decoder: Decoder) throws {} }
        let probe: Probe
        do { probe = try JSONDecoder().decode(Probe.self, from: data) } catch {
            throw OCIError.invalidJSON(what: "manifest", describe(error))
        }
        let type = probe.mediaType ?? mediaType
        if let type, MediaType.indexes.contains(type) { return .index(try ImageIndex.decode(data)) }
        if let type, MediaType.manifests.contains(type) { return .manifest(try ImageManifest.decode(data)) }
        if let type, !type.isEmpty, type != "application/json" { throw OCIError.unsupportedMediaType(type) }
        return probe.manifests != nil ? .index(try ImageIndex.decode(data)) : .manifest(try ImageManifest.decode(data))
    }
}

func canonicalEncoder() -> JSONEncoder {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return e
}

/// A decoding error as one readable line (the key path and what was wrong).
func describe(_ error: Error) -> String {
    guard let e = error as? DecodingError else { return String(describing: error) }
    func path(_ c: [CodingKey]) -> String {
        c.isEmpty ? "top level" : c.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    switch e {
    case let .dataCorrupted(ctx):
        if let u = ctx.underlyingError as? OCIError { return "\(path(ctx.codingPath)): \(u)" }
        return ctx.codingPath.isEmpty ? "not valid JSON" : "\(path(ctx.codingPath)): \(ctx.debugDescription)"
    case let .keyNotFound(key, ctx): return "missing \"\(key.stringValue)\" at \(path(ctx.codingPath))"
    case let .typeMismatch(type, ctx): return "\(path(ctx.codingPath)): expected \(type)"
    case let .valueNotFound(type, ctx): return "\(path(ctx.codingPath)): expected \(type), found null"
    @unknown default: return String(describing: e)
    }
}
