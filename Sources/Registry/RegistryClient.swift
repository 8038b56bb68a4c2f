import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One request to a registry's API: a path under `/v2/`, or an absolute
/// URL (an upload location the registry handed out).
struct RegistryRequest {
    var method = "GET"
    var path: String = ""
    var url: URL?
    var headers: [String: String] = [:]
    var body: Data?
    var bodyFile: URL?
    /// The token scope, `repository:NAME:pull` or `...:pull,push`.
    var scope: String?
}

/// Talks to one registry host: authenticates on a 401, follows redirects
/// (without the Authorization header once they leave the host), and gives
/// callers the final response.
public final class RegistryClient: @unchecked Sendable {
    public let host: RegistryHost
    let transport: HTTPTransport
    let authenticator: Authenticator
    static let userAgent = "hutch/0.1 (docker-compatible)"
    static let maximumRedirects = 10

    public init(host: RegistryHost, credentials: Credentials?) {
        self.host = host
        self.transport = HTTPTransport()
        self.authenticator = Authenticator(host: host, credentials: credentials, transport: transport)
    }

    deinit { transport.invalidate() }

    /// `GET /v2/`: whether the registry answers and accepts the login (an
    /// anonymous token is enough when there is none). Throws otherwise.
    public func checkLogin() async throws {
        let (data, response) = try await data(RegistryRequest(path: ""))
        guard response.statusCode == 200 else {
            if response.statusCode == 401 { throw RegistryError.unauthorized(host.name, Self.errorMessage(data)) }
            throw RegistryError.unexpectedStatus("GET \(host.baseURL)/v2/", response.statusCode, Self.errorMessage(data))
        }
    }

    /// The whole response body in memory (manifests, configs, errors).
    func data(_ request: RegistryRequest, limit: Int = 4 << 20) async throws -> (Data, HTTPURLResponse) {
        let box = ErrorBodyBox()
        let (response, errorBody) = try await stream(request) { _ in } onData: { chunk in
            guard box.data.count + chunk.count <= limit else {
                throw RegistryError.protocolViolation("\(self.host) sent a body larger than \(limit) bytes")
            }
            box.data.append(chunk)
        }
        return ((200..<300).contains(response.statusCode) ? box.data : errorBody, response)
    }

    /// Sends the request; for a 2xx answer calls `onResponse` then `onData`
    /// with each piece of the body; any other answer's body (an error
    /// document) is returned beside the response.
    func stream(_ request: RegistryRequest,
                onResponse: @escaping (HTTPURLResponse) throws -> Void,
                onData: @escaping (Data) throws -> Void) async throws -> (HTTPURLResponse, Data) {
        var url = try request.url ?? apiURL(request.path)
        var authorization = await authenticator.cachedAuthorization(scope: request.scope)
        var authenticated = false
        var redirects = 0
        var method = request.method
        while true {
            var urlRequest = URLRequest(url: url)
            urlRequest.httpMethod = method
            urlRequest.setValue(Self.userAgent, forHTTPHeaderField: "User-Agent")
            for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
            let sameHost = Self.authority(of: url) == Self.authority(of: try apiURL(""))
            if let authorization, sameHost { urlRequest.setValue(authorization, forHTTPHeaderField: "Authorization") }

            let collected = ErrorBodyBox()
            let response = try await transport.stream(urlRequest, body: method == "GET" || method == "HEAD" ? nil : request.body,
                                                      bodyFile: method == "GET" || method == "HEAD" ? nil : request.bodyFile) { response in
                if (200..<300).contains(response.statusCode) {
                    try onResponse(response)
                    return true
                }
                collected.collecting = true
                return true
            } onData: { chunk in
                if collected.collecting {
                    if collected.data.count < 65536 { collected.data.append(chunk.prefix(65536 - collected.data.count)) }
                } else {
                    try onData(chunk)
                }
            }
            let status = response.statusCode
            if status == 401, sameHost, !authenticated,
               let header = response.value(forHTTPHeaderField: "WWW-Authenticate") {
                authorization = try await authenticator.authorize(header: header, scope: request.scope)
                authenticated = true
                continue
            }
            if [301, 302, 303, 307, 308].contains(status), let location = response.value(forHTTPHeaderField: "Location") {
                redirects += 1
                guard redirects <= Self.maximumRedirects else {
                    throw RegistryError.protocolViolation("\(host) redirected more than \(Self.maximumRedirects) times")
                }
                guard let next = URL(string: location, relativeTo: url)?.absoluteURL,
                      let scheme = next.scheme?.lowercased(), scheme == "https" || scheme == "http" else {
                    throw RegistryError.protocolViolation("\(host) redirected to an unusable address: \(location.prefix(200))")
                }
                // A redirect may downgrade to HTTP only when it stays local.
                if scheme == "http", url.scheme == "https", !RegistryHost.isLoopback(next.host ?? "") {
                    throw RegistryError.protocolViolation("\(host) redirected from HTTPS to plain HTTP (\(next.host ?? ""))")
                }
                if status == 303 { method = "GET" }
                url = next
                continue
            }
            return (response, collected.data)
        }
    }

    func apiURL(_ path: String) throws -> URL {
        guard let url = URL(string: host.baseURL + "/v2/" + path) else {
            throw RegistryError.protocolViolation("cannot build a URL for \(host.baseURL)/v2/\(path)")
        }
        return url
    }

    /// `host:port` with the scheme's default port filled in, so that
    /// `https://h/` and `https://h:443/` count as the same host.
    static func authority(of url: URL) -> String {
        let scheme = url.scheme?.lowercased() ?? ""
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        return scheme + "://" + (url.host?.lowercased() ?? "") + ":" + String(port)
    }

    /// The messages of a registry's `{"errors": [{"code", "message"}]}` document.
    static func errorMessage(_ data: Data) -> String {
        struct Errors: Decodable {
            struct One: Decodable { var code: String?; var message: String? }
            var errors: [One]?
        }
        guard let decoded = try? JSONDecoder().decode(Errors.self, from: data), let errors = decoded.errors else {
            return String(decoding: data.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return errors.map { [$0.code, $0.message].compactMap { $0 }.joined(separator: ": ") }.joined(separator: "; ")
    }
}

private final class ErrorBodyBox: @unchecked Sendable {
    var collecting = false
    var data = Data()
}
