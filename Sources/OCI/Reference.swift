/// An image name as Docker normalizes it: `python` is
/// `docker.io/library/python` (tag `latest` added by `withDefaultTag()`),
/// `localhost:5000/x`, `host/ns/name:tag@sha256:...`.
public struct Reference: Hashable, Sendable, CustomStringConvertible {
    public static let defaultDomain = "docker.io"
    public static let legacyDefaultDomain = "index.docker.io"
    public static let defaultTag = "latest"
    static let maxNameLength = 255

    /// Registry host, with its port when given (`docker.io`, `localhost:5000`).
    public let domain: String
    /// The repository path on that registry (`library/python`).
    public let path: String
    public let tag: String?
    public let digest: Digest?

    public init(domain: String, path: String, tag: String? = nil, digest: Digest? = nil) {
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// Parses and normalizes like Docker's ParseNormalizedNamed.
    public init(parsing text: String) throws {
        guard !text.isEmpty else { throw OCIError.invalidReference(text, "repository name must have at least one component") }
        if text.utf8.count == 64, text.utf8.allSatisfy(isLowerHex) {
            throw OCIError.invalidReference(text, "invalid repository name (\(text)), cannot specify 64-byte hexadecimal strings")
        }
        var (domain, remainder) = Reference.splitDomain(text)

        // name[:tag][@digest] of the remainder.
        var digest: Digest?
        if let at = remainder.firstIndex(of: "@") {
            let d = String(remainder[remainder.index(after: at)...])
            do { digest = try Digest(parsing: d) } catch {
                throw OCIError.invalidReference(text, "invalid digest format in \"\(text)\": \(error)")
            }
            remainder = String(remainder[..<at])
        }
        var tag: String?
        if let colon = remainder.lastIndex(of: ":") {
            let t = String(remainder[remainder.index(after: colon)...])
            guard isValidTag(t) else { throw OCIError.invalidReference(text, "") }
            tag = t
            remainder = String(remainder[..<colon])
        }
        if remainder.contains(where: { $0.isUppercase }) {
            throw OCIError.invalidReference(text, "repository name (\(remainder)) must be lowercase")
        }
        guard !remainder.isEmpty else { throw OCIError.invalidReference(text, "") }
        for component in remainder.split(separator: "/", omittingEmptySubsequences: false) {
            guard isValidPathComponent(component) else { throw OCIError.invalidReference(text, "") }
        }
        guard isValidDomain(domain) else { throw OCIError.invalidReference(text, "") }
        if domain == Reference.legacyDefaultDomain { domain = Reference.defaultDomain }
        guard domain.utf8.count + 1 + remainder.utf8.count <= Reference.maxNameLength else {
            throw OCIError.invalidReference(text, "repository name must not be more than 255 characters")
        }
        self.init(domain: domain, path: remainder, tag: tag, digest: digest)
    }

    /// Docker's splitDockerDomain: the first component is a registry host
    /// only when it has a `.` or `:`, is `localhost`, or has uppercase letters.
    static func splitDomain(_ name: String) -> (String, String) {
        var domain = defaultDomain
        var remainder = name
        if let slash = name.firstIndex(of: "/") {
            let first = name[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" || first.lowercased() != first {
                domain = String(first)
                remainder = String(name[name.index(after: slash)...])
            }
        }
        if domain == legacyDefaultDomain { domain = defaultDomain }
        if domain == defaultDomain && !remainder.contains("/") {
            remainder = "library/" + remainder
        }
        return (domain, remainder)
    }

    /// `docker.io/library/python`.
    public var name: String { domain + "/" + path }

    /// The short name Docker shows: `python`, `user/app`, `localhost:5000/x`.
    public var familiarName: String {
        guard domain == Reference.defaultDomain else { return name }
        if path.hasPrefix("library/"), path.dropFirst(8).firstIndex(of: "/") == nil {
            return String(path.dropFirst(8))
        }
        return path
    }

    /// `docker.io/library/python:latest@sha256:...`.
    public var description: String { name + suffix }

    /// `python:latest`, as Docker prints it (Untagged: lines).
    public var familiarString: String { familiarName + suffix }

    private var suffix: String {
        (tag.map { ":" + $0 } ?? "") + (digest.map { "@" + $0.description } ?? "")
    }

    /// The same name with tag `latest` when it has neither tag nor digest.
    public func withDefaultTag() -> Reference {
        tag == nil && digest == nil ? Reference(domain: domain, path: path, tag: Reference.defaultTag) : self
    }

    public func withTag(_ tag: String) -> Reference { Reference(domain: domain, path: path, tag: tag) }

    public func withDigest(_ digest: Digest) -> Reference { Reference(domain: domain, path: path, tag: tag, digest: digest) }

    /// Just the repository, no tag or digest.
    public var repository: Reference { Reference(domain: domain, path: path) }
}

private func isLowerHex(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) }
private func isLowerAlnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) }
private func isWord(_ c: UInt8) -> Bool {
    (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c == 0x5f
}

/// `[\w][\w.-]{0,127}`
func isValidTag<S: StringProtocol>(_ tag: S) -> Bool {
    let u = Array(tag.utf8)
    guard let first = u.first, isWord(first), u.count <= 128 else { return false }
    return u.dropFirst().allSatisfy { isWord($0) || $0 == 0x2e || $0 == 0x2d }
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
func isValidPathComponent<S: StringProtocol>(_ component: S) -> Bool {
    let u = Array(component.utf8)
    var i = 0
    guard !u.isEmpty, isLowerAlnum(u[0]) else { return false }
    while i < u.count {
        while i < u.count, isLowerAlnum(u[i]) { i += 1 }
        if i == u.count { return true }
        let start = i
        while i < u.count, u[i] == 0x2e || u[i] == 0x5f || u[i] == 0x2d { i += 1 }
        let sep = u[start..<i]
        let ok = sep.count == 1 && (sep.first == 0x2e || sep.first == 0x5f)
            || (sep.count == 2 && sep.allSatisfy { $0 == 0x5f })
            || sep.allSatisfy { $0 == 0x2d }
        guard ok, i < u.count, isLowerAlnum(u[i]) else { return false }
    }
    return true
}

/// A host name, IPv4 address or [IPv6] address, with an optional :port.
func isValidDomain(_ domain: String) -> Bool {
    var host = Substring(domain)
    if host.hasPrefix("[") {
        guard let close = host.firstIndex(of: "]") else { return false }
        let inside = host[host.index(after: host.startIndex)..<close]
        guard !inside.isEmpty, inside.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
        host = host[host.index(after: close)...]
        if host.isEmpty { return true }
        guard host.hasPrefix(":") else { return false }
        let port = host.dropFirst()
        return !port.isEmpty && port.allSatisfy(\.isASCIIDigit)
    }
    if let colon = host.lastIndex(of: ":") {
        let port = host[host.index(after: colon)...]
        guard !port.isEmpty, port.allSatisfy(\.isASCIIDigit) else { return false }
        host = host[..<colon]
    }
    guard !host.isEmpty else { return false }
    for label in host.split(separator: ".", omittingEmptySubsequences: false) {
        let u = Array(label.utf8)
        guard let f = u.first, let l = u.last else { return false }
        func alnum(_ c: UInt8) -> Bool { isWord(c) && c != 0x5f }
        guard alnum(f), alnum(l), u.allSatisfy({ alnum($0) || $0 == 0x2d }) else { return false }
    }
    return true
}

extension Character {
    var isASCIIDigit: Bool { asciiValue.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
}
