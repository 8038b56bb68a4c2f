import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Turns a registry's 401 challenge into an Authorization header: basic
/// auth with the saved login, or a bearer token from the challenge's realm
/// (anonymous, or with the login), cached per scope until it expires.
actor Authenticator {
    let host: RegistryHost
    let credentials: Credentials?
    private let transport: HTTPTransport
    /// The last challenge the registry sent: later requests authenticate
    /// up front instead of collecting a 401 each.
    private var challenge: AuthChallenge?
    private var tokens: [String: (value: String, expires: Date)] = [:]

    init(host: RegistryHost, credentials: Credentials?, transport: HTTPTransport) {
        self.host = host
        self.credentials = credentials
        self.transport = transport
    }

    /// The header to send for `scope` without asking the registry first, if
    /// a challenge has been seen and its answer is cached (or is basic).
    func cachedAuthorization(scope: String?) -> String? {
        guard let challenge else { return nil }
        switch challenge.scheme {
        case "basic": return credentials.map { "Basic " + $0.encoded }
        case "bearer":
            guard let token = tokens[tokenKey(challenge, scope)], token.expires > Date() else { return nil }
            return "Bearer " + token.value
        default: return nil
        }
    }

    /// Answers the challenge in a 401's `WWW-Authenticate` header for `scope`.
    func authorize(header: String, scope: String?) async throws -> String {
        let challenges = AuthChallenge.parse(header)
        guard let chosen = challenges.first(where: { $0.scheme == "bearer" }) ?? challenges.first(where: { $0.scheme == "basic" }) else {
            throw RegistryError.protocolViolation("\(host) asked for authentication with a challenge hutch cannot answer: \(header.prefix(200))")
        }
        challenge = chosen
        if chosen.scheme == "basic" {
            guard let credentials else { throw RegistryError.unauthorized(host.name, "") }
            return "Basic " + credentials.encoded
        }
        return try await fetchToken(chosen, scope: scope ?? chosen.scope)
    }

    private func tokenKey(_ challenge: AuthChallenge, _ scope: String?) -> String {
        (challenge.realm ?? "") + "\u{0}" + (challenge.service ?? "") + "\u{0}" + (scope ?? "")
    }

    private func fetchToken(_ challenge: AuthChallenge, scope: String?) async throws -> String {
        let key = tokenKey(challenge, scope)
        if let token = tokens[key], token.expires > Date() { return "Bearer " + token.value }
        guard let realm = challenge.realm, var components = URLComponents(string: realm),
              let scheme = components.scheme?.lowercased(), let realmHost = components.host else {
            throw RegistryError.protocolViolation("\(host) sent a bearer challenge without a usable realm")
        }
        // Credentials go to the realm only over HTTPS, or over HTTP when the
        // registry itself is plain HTTP or the realm is on this machine.
        guard scheme == "https" || (scheme == "http" && (host.scheme == "http" || RegistryHost.isLoopback(realmHost))) else {
            throw RegistryError.protocolViolation("\(host) sent a token realm \(realm) that is neither HTTPS nor local")
        }
        var query = components.queryItems ?? []
        if let service = challenge.service { query.append(URLQueryItem(name: "service", value: service)) }
        // Several scopes (a push that mounts from another repository) go as repeated parameters.
        for one in (scope ?? "").split(separator: " ") { query.append(URLQueryItem(name: "scope", value: String(one))) }
        if let credentials { query.append(URLQueryItem(name: "account", value: credentials.username)) }
        components.queryItems = query.isEmpty ? nil : query
        guard let url = components.url else {
            throw RegistryError.protocolViolation("\(host) sent a token realm hutch cannot build a URL from: \(realm)")
        }
        var request = URLRequest(url: url)
        request.setValue(RegistryClient.userAgent, forHTTPHeaderField: "User-Agent")
        if let credentials { request.setValue("Basic " + credentials.encoded, forHTTPHeaderField: "Authorization") }
        let (data, response) = try await transport.send(request, limit: 1 << 20)
        switch response.statusCode {
        case 200: break
        case 401, 403: throw RegistryError.unauthorized(host.name, RegistryClient.errorMessage(data))
        default: throw RegistryError.unexpectedStatus("token from \(realmHost)", response.statusCode, RegistryClient.errorMessage(data))
        }
        struct TokenResponse: Decodable {
            var token: String?
            var access_token: String?
            var expires_in: Int?
        }
        guard let decoded = try? JSONDecoder().decode(TokenResponse.self, from: data),
              let token = decoded.token ?? decoded.access_token, !token.isEmpty,
              !token.utf8.contains(where: { $0 < 0x21 || $0 > 0x7e }) else {
            throw RegistryError.protocolViolation("the token server \(realmHost) answered without a usable token")
        }
        // Renew a little early; 60 s is the spec's default lifetime.
        let lifetime = max(10, (decoded.expires_in ?? 60) - 5)
        tokens[key] = (token, Date().addingTimeInterval(TimeInterval(lifetime)))
        return "Bearer " + token
    }
}
