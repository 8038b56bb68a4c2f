/// Where a registry named in an image reference is reached: `docker.io`
/// means Docker Hub's API host; a loopback registry speaks plain HTTP, as
/// Docker allows, and so does one the config names insecure.
public struct RegistryHost: Equatable, Sendable, CustomStringConvertible {
    /// As written in a reference: `docker.io`, `127.0.0.1:5000`, `[::1]:5000`.
    public var name: String
    /// `http` or `https`.
    public var scheme: String

    public init(name: String, scheme: String) {
        self.name = name
        self.scheme = scheme
    }

    /// Picks the scheme for `name` under `config`.
    public init(name: String, config: HutchConfig, insecure: Bool = false) {
        self.name = name
        self.scheme = insecure || RegistryHost.isLoopback(name) || config.isInsecure(host: name) ? "http" : "https"
    }

    public var description: String { name }

    /// The host that answers the API: Docker Hub's is not `docker.io`.
    public var apiHost: String {
        switch name {
        case "docker.io", "index.docker.io": return "registry-1.docker.io"
        default: return name
        }
    }

    /// `http://127.0.0.1:5000` or `https://registry-1.docker.io`.
    public var baseURL: String { scheme + "://" + apiHost }

    /// The host part of `name[:port]`, without brackets around IPv6.
    public static func hostname(of name: String) -> String {
        if name.hasPrefix("[") {
            guard let close = name.firstIndex(of: "]") else { return name }
            return String(name[name.index(after: name.startIndex)..<close])
        }
        if let colon = name.lastIndex(of: ":"), name.firstIndex(of: ":") == colon {
            return String(name[..<colon])
        }
        return name
    }

    /// 127.0.0.0/8, `localhost` (and names under it) and `::1`.
    public static func isLoopback(_ name: String) -> Bool {
        let host = hostname(of: name).lowercased()
        if host == "localhost" || host.hasSuffix(".localhost") { return true }
        if host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in
            guard !part.isEmpty, part.count <= 3, let n = Int(part), n <= 255 else { return false }
            return part.allSatisfy(\.isASCII)
        }
    }
}

/// A repository at a registry: where a pull or a push actually goes once
/// mirrors are applied.
public struct RepositoryLocation: Equatable, Sendable, CustomStringConvertible {
    public var host: RegistryHost
    /// The path under /v2/: `library/python`.
    public var repository: String
    /// Set when this is a mirror of the registry the reference named.
    public var isMirror: Bool

    public init(host: RegistryHost, repository: String, isMirror: Bool = false) {
        self.host = host
        self.repository = repository
        self.isMirror = isMirror
    }

    public var description: String { host.name + "/" + repository }
}

extension HutchConfig {
    /// Where to fetch `repository` of `registry` from, in order: the mirror
    /// whose prefix matches most of `registry/repository`, then the
    /// original only when that mirror allows fallback; just the original
    /// when no mirror matches. Pushes do not use mirrors.
    public func pullLocations(registry: String, repository: String) -> [RepositoryLocation] {
        let original = RepositoryLocation(host: RegistryHost(name: registry, config: self), repository: repository)
        let full = registry + "/" + repository
        var best: (mirror: RegistryMirror, rest: Substring)?
        for mirror in mirrors {
            let prefix = mirror.prefix
            let matches = full == prefix || full.hasPrefix(prefix + "/")
            guard matches else { continue }
            if let current = best, current.mirror.prefix.count >= prefix.count { continue }
            best = (mirror, full.dropFirst(prefix.count).drop { $0 == "/" })
        }
        guard let (mirror, rest) = best else { return [original] }
        let parts = mirror.location.split(separator: "/", maxSplits: 1)
        let mirrorHost = String(parts[0])
        var path = parts.count > 1 ? String(parts[1]) : ""
        if !rest.isEmpty { path = path.isEmpty ? String(rest) : path + "/" + rest }
        let location = RepositoryLocation(
            host: RegistryHost(name: mirrorHost, config: self, insecure: mirror.insecure),
            repository: path, isMirror: true)
        return mirror.fallback ? [location, original] : [location]
    }
}
