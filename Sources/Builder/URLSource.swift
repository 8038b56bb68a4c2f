import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OCI

/// ADD of an http(s) URL: downloaded (never extracted), mode 0600 unless
/// --chmod, named after the URL's last path component when the
/// destination ends in "/", checked against `--checksum=sha256:...`.
enum URLSource {
    static func add(_ url: String, to destination: String, workdir: String, checksum: String?,
                    chown: Ownership?, chmod: UInt32?, writer: LayerWriter) throws {
        guard let location = URL(string: url) else { throw BuildError("invalid URL \(url)") }
        let (data, modified) = try download(location)
        if let checksum {
            let expected = try Digest(parsing: checksum)
            let actual = Digest.sha256(of: data)
            guard expected == actual else {
                throw BuildError("digest mismatch for \(url): expected \(expected), got \(actual)")
            }
        }
        let absolute = destination.hasPrefix("/") ? destination : workdir + "/" + destination
        var target = TreePath.components(try writer.view.resolve(absolute, followFinal: true))
        let existing = try writer.view.entry(at: TreePath.join(target), followFinal: true)
        if destination.hasSuffix("/") || existing?.kind == .directory {
            var name = location.lastPathComponent
            if name.isEmpty || name == "/" { name = "__unnamed__" }
            target.append(name)
        }
        var mtime: timespec?
        if let modified { mtime = timespec(tv_sec: Int(modified.timeIntervalSince1970), tv_nsec: 0) }
        try writer.writeFile(target, bytes: [UInt8](data), mode: chmod ?? 0o600, owner: chown ?? .root, mtime: mtime)
    }

    static func download(_ url: URL) throws -> (Data, Date?) {
        final class Box: @unchecked Sendable { var data: Data?; var response: URLResponse?; var error: Error? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: url) { data, response, error in
            box.data = data; box.response = response; box.error = error
            done.signal()
        }.resume()
        done.wait()
        if let error = box.error { throw BuildError("failed to download \(url): \(error.localizedDescription)") }
        guard let http = box.response as? HTTPURLResponse, let data = box.data else {
            throw BuildError("failed to download \(url): no response")
        }
        guard (200..<300).contains(http.statusCode) else {
            throw BuildError("failed to GET \(url) with status \(http.statusCode)")
        }
        var modified: Date?
        if let text = http.value(forHTTPHeaderField: "Last-Modified") {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            modified = formatter.date(from: text)
        }
        return (data, modified)
    }
}
