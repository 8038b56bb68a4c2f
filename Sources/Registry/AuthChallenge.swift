/// One challenge from a `WWW-Authenticate` header, as a registry sends it
/// with a 401: `Bearer realm="https://auth.example/token",service="reg",scope="repository:x:pull"`.
///
/// The header comes from the network, so the parser is strict about
/// structure and bounded in size: a hostile header yields no challenge, never
/// a crash or an unbounded allocation.
public struct AuthChallenge: Equatable, Sendable {
    /// `bearer` or `basic`, lowercased (schemes are case-insensitive).
    public var scheme: String
    /// Parameter names are lowercased; values are unquoted and unescaped.
    public var parameters: [String: String]

    public init(scheme: String, parameters: [String: String] = [:]) {
        self.scheme = scheme.lowercased()
        self.parameters = parameters
    }

    public var realm: String? { parameters["realm"] }
    public var service: String? { parameters["service"] }
    public var scope: String? { parameters["scope"] }

    /// Headers longer than this are refused outright.
    static let maximumHeaderLength = 8192

    /// Every challenge in a header value (RFC 7235 allows several, separated by
    /// commas, e.g. `Basic realm="x", Bearer realm="y"`). Empty when the header
    /// is malformed or too long.
    public static func parse(_ header: String) -> [AuthChallenge] {
        let bytes = Array(header.utf8)
        guard bytes.count <= maximumHeaderLength else { return [] }
        var parser = ChallengeParser(bytes: bytes)
        return parser.challenges() ?? []
    }
}

/// A hand-written scanner: the grammar is small (token, token=token,
/// token="quoted \" string"), and a regex cannot express the quoting.
private struct ChallengeParser {
    let bytes: [UInt8]
    var i = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func challenges() -> [AuthChallenge]? {
        var result: [AuthChallenge] = []
        skipSeparators()
        while i < bytes.count {
            guard let scheme = token() else { return nil }
            var challenge = AuthChallenge(scheme: scheme)
            // Parameters follow the scheme after whitespace; a comma then a
            // token not followed by '=' starts the next challenge.
            skipSpaces()
            while i < bytes.count {
                let save = i
                skipSeparators()
                guard let name = token() else {
                    if i >= bytes.count { break }
                    return nil
                }
                skipSpaces()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else {
                    // A bare token: the next challenge's scheme.
                    i = save
                    break
                }
                i += 1
                skipSpaces()
                guard let value = quotedString() ?? token() else { return nil }
                let key = name.lowercased()
                // A repeated parameter is ambiguous: keep the first, as curl does.
                if challenge.parameters[key] == nil { challenge.parameters[key] = value }
                skipSpaces()
                if i < bytes.count && bytes[i] != UInt8(ascii: ",") { return nil }
            }
            result.append(challenge)
            skipSeparators()
        }
        return result
    }

    mutating func skipSpaces() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 }
    }

    mutating func skipSeparators() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == UInt8(ascii: ",") { i += 1 }
    }

    /// RFC 7230 tchar, plus '/' which token68 values (base64) use.
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~/:".utf8).contains(b)
        }
    }

    mutating func token() -> String? {
        let start = i
        while i < bytes.count, Self.isTokenByte(bytes[i]) { i += 1 }
        // token68 may end in '=' padding; only when no value follows it.
        guard i > start else { return nil }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    mutating func quotedString() -> String? {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
        var out: [UInt8] = []
        var j = i + 1
        while j < bytes.count {
            let b = bytes[j]
            if b == UInt8(ascii: "\"") {
                i = j + 1
                return String(decoding: out, as: UTF8.self)
            }
            if b == UInt8(ascii: "\\") {
                j += 1
                guard j < bytes.count else { return nil }
                out.append(bytes[j])
            } else if b < 0x20 && b != 0x09 || b == 0x7f {
                // Control characters (CR, LF, NUL) have no place in a header value.
                return nil
            } else {
                out.append(b)
            }
            j += 1
        }
        return nil // unterminated
    }
}
