import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OCI

/// How a blob reached the registry during a push.
public enum BlobUploadResult: Equatable, Sendable {
    case alreadyExists
    case mounted(from: String)
    case uploaded
}

/// The push side of the distribution API: blobs (check, cross-repository
/// mount, upload) and manifests.
extension RegistryClient {
    /// Makes sure `repository` has the blob: checks with HEAD, then tries to
    /// mount it from `mountFrom` (a repository of the same registry that has
    /// it), then uploads `file` with POST then one PUT (monolithic).
    public func pushBlob(repository: String, digest: Digest, size: Int64, file: URL,
                         mountFrom: String? = nil) async throws -> BlobUploadResult {
        if try await blobExists(repository: repository, digest: digest, forPush: true) { return .alreadyExists }
        var start = RegistryRequest(method: "POST", path: "\(repository)/blobs/uploads/", scope: Self.pushScope(repository))
        if let mountFrom, mountFrom != repository {
            start.path += "?mount=\(digest)&from=\(mountFrom)"
            start.scope = Self.pushScope(repository) + " " + Self.pullScope(mountFrom)
        }
        start.headers["Content-Length"] = "0"
        start.body = Data()
        let (startBody, started) = try await data(start)
        if started.statusCode == 201, let mountFrom { return .mounted(from: mountFrom) }
        guard started.statusCode == 202 else {
            try check(started, startBody, what: "POST \(repository)/blobs/uploads/", notFound: repository)
            throw RegistryError.unexpectedStatus("POST \(repository)/blobs/uploads/", started.statusCode, Self.errorMessage(startBody))
        }
        let location = try uploadURL(started, repository: repository)
        var components = URLComponents(url: location, resolvingAgainstBaseURL: true)!
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "digest", value: digest.description)]
        var put = RegistryRequest(method: "PUT", url: components.url, scope: Self.pushScope(repository))
        put.headers["Content-Type"] = "application/octet-stream"
        put.headers["Content-Length"] = String(size)
        put.bodyFile = file
        let (putBody, finished) = try await data(put)
        guard finished.statusCode == 201 else {
            try check(finished, putBody, what: "PUT \(repository)/blobs/\(digest)", notFound: repository)
            throw RegistryError.unexpectedStatus("PUT \(repository)/blobs/\(digest)", finished.statusCode, Self.errorMessage(putBody))
        }
        return .uploaded
    }

    /// Uploads bytes held in memory (an image config).
    public func pushBlob(repository: String, digest: Digest, data blob: Data) async throws -> BlobUploadResult {
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("hutch-blob-\(UUID().uuidString)")
        try blob.write(to: temporary)
        defer { try? FileManager.default.removeItem(at: temporary) }
        return try await pushBlob(repository: repository, digest: digest, size: Int64(blob.count), file: temporary)
    }

    /// `PUT /v2/NAME/manifests/TAG` with the manifest's own media type; the
    /// digest the registry reports (the sha256 of `data`).
    @discardableResult
    public func pushManifest(repository: String, reference: String, data manifest: Data, mediaType: String) async throws -> Digest {
        var put = RegistryRequest(method: "PUT", path: "\(repository)/manifests/\(reference)", scope: Self.pushScope(repository))
        put.headers["Content-Type"] = mediaType
        put.body = manifest
        let (body, response) = try await data(put)
        guard response.statusCode == 201 || response.statusCode == 200 else {
            try check(response, body, what: "PUT \(repository)/manifests/\(reference)", notFound: repository)
            throw RegistryError.unexpectedStatus("PUT \(repository)/manifests/\(reference)", response.statusCode, Self.errorMessage(body))
        }
        let computed = Digest.sha256(of: manifest)
        if let reported = response.value(forHTTPHeaderField: "Docker-Content-Digest").flatMap({ Digest($0) }), reported != computed {
            throw RegistryError.digestMismatch(computed.description, reported.description)
        }
        return computed
    }

    private func uploadURL(_ response: HTTPURLResponse, repository: String) throws -> URL {
        guard let location = response.value(forHTTPHeaderField: "Location"),
              let url = URL(string: location, relativeTo: try apiURL(""))?.absoluteURL else {
            throw RegistryError.protocolViolation("\(host) started an upload to \(repository) without a Location")
        }
        return url
    }
}
