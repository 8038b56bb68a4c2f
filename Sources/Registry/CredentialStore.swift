import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A user name and password for one registry.
public struct Credentials: Equatable, Sendable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// `base64(user:pass)`, as docker's config.json and HTTP basic auth write it.
    public var encoded: String { Data((username + ":" + password).utf8).base64EncodedString() }

    /// Decodes docker's `auth` field; nil when it is not base64 of `user:pass`.
    public init?(encoded: String) {
        guard let data = Data(base64Encoded: encoded.trimmingCharacters(in: .whitespaces)),
              let text = String(data: data, encoding: .utf8),
              let colon = text.firstIndex(of: ":") else { return nil }
        username = String(text[..<colon])
        password = String(text[text.index(after: colon)...])
        guard !username.isEmpty else { return nil }
    }
}

/// Saved logins: hutch's own `$XDG_CONFIG_HOME/hutch/auth.json` (written by
/// `hutch login`, mode 0600), and docker's `~/.docker/config.json` read as
/// a fallback. Both use docker's format: `{"auths": {"host": {"auth": "base64"}}}`.
public struct CredentialStore: Sendable {
    public var authFile: String
    public var dockerConfigFile: String?

    public init(authFile: String, dockerConfigFile: String?) {
        self.authFile = authFile
        self.dockerConfigFile = dockerConfigFile
    }

    /// The files for the current user.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> CredentialStore {
        let home = HutchConfig.homeDirectory(environment: environment)
        let docker = environment["DOCKER_CONFIG"].map { $0 + "/config.json" } ?? home + "/.docker/config.json"
        return CredentialStore(authFile: HutchConfig.configDirectory(environment: environment) + "/auth.json",
                               dockerConfigFile: docker)
    }

    /// Things the user should know about the files (a credsStore helper
    /// hutch does not run, a file it could not parse), once per lookup.
    public func warnings() -> [String] {
        var result: [String] = []
        for file in [authFile, dockerConfigFile].compactMap({ $0 }) {
            guard FileManager.default.fileExists(atPath: file) else { continue }
            do {
                let json = try Self.readObject(file)
                if let helper = json["credsStore"] as? String {
                    result.append("\(file) names the credential helper \"\(helper)\", which hutch does not run: use `hutch login`")
                }
            } catch {
                result.append("\(file) is not valid JSON, its logins are ignored: \(error)")
            }
        }
        return result
    }

    /// The login for `registry` (`docker.io`, `127.0.0.1:5000`): hutch's
    /// file first, then docker's.
    public func credentials(for registry: String) -> Credentials? {
        for file in [authFile, dockerConfigFile].compactMap({ $0 }) {
            guard let json = try? Self.readObject(file), let auths = json["auths"] as? [String: Any] else { continue }
            for (key, value) in auths where Self.registryKey(key) == Self.registryKey(registry) {
                guard let entry = value as? [String: Any] else { continue }
                if let auth = entry["auth"] as? String, let credentials = Credentials(encoded: auth) {
                    return credentials
                }
                if let user = entry["username"] as? String, let pass = entry["password"] as? String, !user.isEmpty {
                    return Credentials(username: user, password: pass)
                }
            }
        }
        return nil
    }

    /// Saves the login in hutch's file (never docker's), mode 0600,
    /// keeping every other key of the file as it was.
    public func store(_ credentials: Credentials, for registry: String) throws {
        var json = FileManager.default.fileExists(atPath: authFile) ? try Self.readObject(authFile) : [:]
        var auths = json["auths"] as? [String: Any] ?? [:]
        for key in auths.keys where Self.registryKey(key) == Self.registryKey(registry) { auths[key] = nil }
        auths[Self.storedKey(registry)] = ["auth": credentials.encoded]
        json["auths"] = auths
        try write(json)
    }

    /// Forgets the login for `registry`; false when there was none in hutch's file.
    @discardableResult
    public func remove(for registry: String) throws -> Bool {
        guard FileManager.default.fileExists(atPath: authFile) else { return false }
        var json = try Self.readObject(authFile)
        var auths = json["auths"] as? [String: Any] ?? [:]
        let keys = auths.keys.filter { Self.registryKey($0) == Self.registryKey(registry) }
        guard !keys.isEmpty else { return false }
        for key in keys { auths[key] = nil }
        json["auths"] = auths
        try write(json)
        return true
    }

    /// Docker Hub goes by several names in config files; other keys may
    /// carry a scheme and a path (`https://host:5000/v1/`).
    static func registryKey(_ key: String) -> String {
        var host = Substring(key.lowercased())
        if let scheme = host.range(of: "://") { host = host[scheme.upperBound...] }
        if let slash = host.firstIndex(of: "/") { host = host[..<slash] }
        switch host {
        case "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com": return "docker.io"
        default: return String(host)
        }
    }

    /// Docker writes Docker Hub's key as its old v1 address; so does hutch,
    /// so that docker reads a file hutch wrote.
    static func storedKey(_ registry: String) -> String {
        registryKey(registry) == "docker.io" ? "https://index.docker.io/v1/" : registryKey(registry)
    }

    static func readObject(_ file: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        if data.isEmpty { return [:] }
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CredentialStoreError("\(file) does not hold a JSON object")
        }
        return object
    }

    /// Write to a 0600 temporary file, fsync, rename: a crash leaves the old
    /// file or the new one, never a half one or one others can read.
    func write(_ json: [String: Any]) throws {
        let directory = (authFile as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        let temporary = authFile + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CredentialStoreError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        var ok = fchmod(fd, 0o600) == 0
        ok = ok && data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 { if errno == EINTR { continue }; return false }
                offset += n
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        let saved = errno
        close(fd)
        guard ok, rename(temporary, authFile) == 0 else {
            let message = String(cString: strerror(ok ? errno : saved))
            unlink(temporary)
            throw CredentialStoreError("cannot write \(authFile): \(message)")
        }
    }
}

public struct CredentialStoreError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
