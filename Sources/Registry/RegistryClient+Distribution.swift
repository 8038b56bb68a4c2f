import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OCI
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

    /// Downloads a blob into `path`, hashing while it streams. When `path`
    /// already holds the start of the blob (an interrupted pull), asks only
    /// for the rest with a Range request. On success `path` holds exactly the
    /// blob; on a digest mismatch it is removed; on a broken connection it is
    /// kept for the next try. `progress` gets the bytes held so far.
    public func downloadBlob(repository: String, descriptor: Descriptor, to path: String,
                             progress: @escaping @Sendable (Int64) -> Void) async throws {
        let file = try BlobFile(path: path, expectedSize: descriptor.size)
        defer { file.close() }
        progress(file.written)
        if file.written < descriptor.size {
            var request = RegistryRequest(path: "\(repository)/blobs/\(descriptor.digest)", scope: Self.pullScope(repository))
            let resumeFrom = file.written
            if resumeFrom > 0 { request.headers["Range"] = "bytes=\(resumeFrom)-" }
            let (response, errorBody) = try await stream(request) { response in
                if response.statusCode == 206 {
                    let range = response.value(forHTTPHeaderField: "Content-Range") ?? ""
                    guard range.hasPrefix("bytes \(resumeFrom)-") else {
                        throw RegistryError.protocolViolation("asked for bytes \(resumeFrom)- of \(descriptor.digest), got \"\(range)\"")
                    }
                } else {
                    // The registry ignored the Range: start over.
                    try file.restart()
                }
            } onData: { chunk in
                try file.append(chunk)
                progress(file.written)
            }
            if response.statusCode == 416 {
                try file.restart()
                return try await downloadBlob(repository: repository, descriptor: descriptor, to: path, progress: progress)
            }
            try check(response, errorBody, what: "GET \(repository)/blobs/\(descriptor.digest)", notFound: descriptor.digest.description)
        }
        guard file.written == descriptor.size else {
            throw RegistryError.network("\(host.baseURL)/v2/\(repository)/blobs/\(descriptor.digest)",
                                        "the download stopped at \(file.written) of \(descriptor.size) bytes; pull again to resume")
        }
        let actual = file.digest()
        guard actual == descriptor.digest else {
            file.close()
            unlink(path)
            throw RegistryError.digestMismatch(descriptor.digest.description, actual.description)
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

/// The file a blob downloads into, with a running hash of what it holds.
/// Touched only from the transport's serial delegate queue once the
/// request starts.
final class BlobFile: @unchecked Sendable {
    let path: String
    let expectedSize: Int64
    private var fd: Int32
    private var hasher = DigestHasher()
    private(set) var written: Int64 = 0

    init(path: String, expectedSize: Int64) throws {
        self.path = path
        self.expectedSize = expectedSize
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RegistryError.protocolViolation("cannot write \(path): \(String(cString: strerror(errno)))") }
        // Re-hash what an earlier, interrupted download left: SHA-256 state
        // cannot be saved, and re-reading is faster than re-downloading.
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; break }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0.prefix(n))) }
            written += Int64(n)
        }
        if written > expectedSize { try restart() }
    }

    func restart() throws {
        guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else {
            throw RegistryError.protocolViolation("cannot truncate \(path): \(String(cString: strerror(errno)))")
        }
        hasher = DigestHasher()
        written = 0
    }

    func append(_ data: Data) throws {
        guard written + Int64(data.count) <= expectedSize else {
            throw RegistryError.protocolViolation("the registry sent more than the \(expectedSize) bytes of \(path)")
        }
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw RegistryError.protocolViolation("cannot write \(path): \(String(cString: strerror(errno)))")
                }
                offset += n
            }
            hasher.update(buffer)
        }
        written += Int64(data.count)
    }

    func digest() -> Digest { hasher.finalize() }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }
}
