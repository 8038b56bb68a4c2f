import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OCI
import Store
#if canImport(Glibc)
import Glibc
#endif

/// A manifest or index as the registry served it: the exact bytes (their
/// digest is the image's digest), and what they are.
public struct FetchedManifest: Sendable {
    public var data: Data
    public var mediaType: String
    public var digest: Digest
    public var kind: ManifestKind
}

/// The distribution API v2 operations hutch uses.
extension RegistryClient {
    static func pullScope(_ repository: String) -> String { "repository:\(repository):pull" }
    static func pushScope(_ repository: String) -> String { "repository:\(repository):pull,push" }

    /// `GET /v2/NAME/manifests/REF` accepting OCI and Docker schema 2
    /// manifests and indexes; checks the bytes against a digest reference.
    public func fetchManifest(repository: String, reference: String) async throws -> FetchedManifest {
        var request = RegistryRequest(path: "\(repository)/manifests/\(reference)", scope: Self.pullScope(repository))
        request.headers["Accept"] = MediaType.acceptedManifests.joined(separator: ", ")
        let (data, response) = try await data(request)
        try check(response, data, what: "\(host.name)/\(repository):\(reference)", notFound: "\(host.name)/\(repository):\(reference)")
        let digest = Digest.sha256(of: data)
        if let wanted = try? Digest(parsing: reference), wanted != digest {
            throw RegistryError.digestMismatch(wanted.description, digest.description)
        }
        let contentType = response.value(forHTTPHeaderField: "Content-Type")?
            .split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) }
        let kind = try ManifestKind.decode(data, mediaType: contentType)
        let mediaType: String
        switch kind {
        case let .manifest(m): mediaType = m.mediaType ?? contentType ?? MediaType.ociManifest
        case let .index(i): mediaType = i.mediaType ?? contentType ?? MediaType.ociIndex
        }
        return FetchedManifest(data: data, mediaType: mediaType, digest: digest, kind: kind)
    }

    /// `HEAD` a manifest: its digest, or nil when the registry has none.
    public func manifestDigest(repository: String, reference: String, forPush: Bool = false) async throws -> Digest? {
        var request = RegistryRequest(method: "HEAD", path: "\(repository)/manifests/\(reference)",
                                      scope: forPush ? Self.pushScope(repository) : Self.pullScope(repository))
        request.headers["Accept"] = MediaType.acceptedManifests.joined(separator: ", ")
        let (data, response) = try await data(request)
        if response.statusCode == 404 { return nil }
        try check(response, data, what: "HEAD \(repository)/manifests/\(reference)", notFound: reference)
        return response.value(forHTTPHeaderField: "Docker-Content-Digest").flatMap { Digest($0) }
    }

    /// Whether the repository has the blob (`HEAD /v2/NAME/blobs/DIGEST`).
    public func blobExists(repository: String, digest: Digest, forPush: Bool = false) async throws -> Bool {
        let request = RegistryRequest(method: "HEAD", path: "\(repository)/blobs/\(digest)",
                                      scope: forPush ? Self.pushScope(repository) : Self.pullScope(repository))
        let (data, response) = try await data(request)
        if response.statusCode == 404 { return false }
        try check(response, data, what: "HEAD \(repository)/blobs/\(digest)", notFound: digest.description)
        return true
    }

    /// A small blob (an image config) in memory, checked against its digest.
    public func fetchBlob(repository: String, descriptor: Descriptor, limit: Int = 32 << 20) async throws -> Data {
        guard descriptor.size <= limit else {
            throw RegistryError.protocolViolation("blob \(descriptor.digest) is \(descriptor.size) bytes, more than hutch reads into memory")
        }
        let request = RegistryRequest(path: "\(repository)/blobs/\(descriptor.digest)", scope: Self.pullScope(repository))
        let (data, response) = try await data(request, limit: limit)
        try check(response, data, what: "GET \(repository)/blobs/\(descriptor.digest)", notFound: descriptor.digest.description)
        let actual = Digest.sha256(of: data)
        guard actual == descriptor.digest else { throw RegistryError.digestMismatch(descriptor.digest.description, actual.description) }
        return data
    }

    /// Downloads a layer blob into the store, hashing while it streams.
    /// Bytes an interrupted pull left in the store's incoming folder are
    /// kept, and only the rest is asked for with a Range request. A digest
    /// mismatch discards the bytes; a broken connection keeps them for the
    /// next try. `progress` gets the bytes held so far.
    public func downloadBlob(repository: String, descriptor: Descriptor, into blobs: BlobStore,
                             progress: @escaping @Sendable (Int64) -> Void) async throws {
        if blobs.contains(descriptor.digest) { return }
        let box = WriterBox(try blobs.beginWrite(expected: descriptor.digest, expectedSize: descriptor.size, resumable: true))
        defer { box.writer.abortKeepingPartial() }
        progress(box.writer.offset)
        let resumeFrom = box.writer.offset
        if resumeFrom < descriptor.size {
            var request = RegistryRequest(path: "\(repository)/blobs/\(descriptor.digest)", scope: Self.pullScope(repository))
            if resumeFrom > 0 { request.headers["Range"] = "bytes=\(resumeFrom)-" }
            let (response, errorBody) = try await stream(request) { response in
                if response.statusCode == 206 {
                    let range = response.value(forHTTPHeaderField: "Content-Range") ?? ""
                    guard range.hasPrefix("bytes \(resumeFrom)-") else {
                        throw RegistryError.protocolViolation("asked for bytes \(resumeFrom)- of \(descriptor.digest), got \"\(range)\"")
                    }
                } else if box.writer.offset > 0 {
                    // The registry ignored the Range: start over.
                    box.writer.abort()
                    box.writer = try blobs.beginWrite(expected: descriptor.digest, expectedSize: descriptor.size, resumable: true)
                }
            } onData: { chunk in
                try box.writer.write(chunk)
                progress(box.writer.offset)
            }
            if response.statusCode == 416 {
                box.writer.abort()
                return try await downloadBlob(repository: repository, descriptor: descriptor, into: blobs, progress: progress)
            }
            try check(response, errorBody, what: "GET \(repository)/blobs/\(descriptor.digest)", notFound: descriptor.digest.description)
        }
        guard box.writer.offset == descriptor.size else {
            throw RegistryError.network("\(host.baseURL)/v2/\(repository)/blobs/\(descriptor.digest)",
                                        "the download stopped at \(box.writer.offset) of \(descriptor.size) bytes; pull again to resume")
        }
        do {
            try box.writer.commit()
        } catch StoreError.digestMismatch(let expected, let actual) {
            throw RegistryError.digestMismatch(expected.description, actual.description)
        }
    }

    /// Throws the error a non-2xx answer means.
    func check(_ response: HTTPURLResponse, _ body: Data, what: String, notFound: String) throws {
        let status = response.statusCode
        if (200..<300).contains(status) { return }
        let message = Self.errorMessage(body)
        switch status {
        case 401: throw RegistryError.unauthorized(host.name, message)
        case 403: throw RegistryError.denied(what, message)
        case 404: throw RegistryError.notFound(notFound)
        default: throw RegistryError.unexpectedStatus(what, status, message)
        }
    }
}

/// The writer a download fills; replaced when the registry ignores a
/// Range request. Touched only on the transport's serial delegate queue
/// once the request starts.
private final class WriterBox: @unchecked Sendable {
    var writer: BlobWriter
    init(_ writer: BlobWriter) { self.writer = writer }
}
