import Crypto

/// A content digest, `algorithm:hex`, as OCI and Docker write them
/// (`sha256:6ea69a2b35bb...`). Only sha256 and sha512 are accepted: they are
/// the two the OCI image spec registers, and the only ones registries serve.
public struct Digest: Hashable, Comparable, Codable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    public let algorithm: String
    /// The lowercase hex encoding of the hash.
    public let hex: String

    /// Parses `sha256:<64 hex>` or `sha512:<128 hex>`; anything else throws.
    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":") else {
            throw OCIError.invalidDigest(text, "missing the algorithm, e.g. sha256:<64 hex digits>")
        }
        let algorithm = String(text[..<colon])
        let hex = String(text[text.index(after: colon)...])
        let expected: Int
        switch algorithm {
        case "sha256": expected = 64
        case "sha512": expected = 128
        default: throw OCIError.invalidDigest(text, "unsupported algorithm \"\(algorithm)\" (sha256 or sha512)")
        }
        guard hex.utf8.count == expected else {
            throw OCIError.invalidDigest(text, "\(algorithm) needs \(expected) hex digits, got \(hex.utf8.count)")
        }
        guard hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw OCIError.invalidDigest(text, "the hex part must be lowercase 0-9a-f")
        }
        self.algorithm = algorithm
        self.hex = hex
    }

    public init?(_ description: String) {
        guard let d = try? Digest(parsing: description) else { return nil }
        self = d
    }

    /// A sha256 digest from 64 lowercase hex digits.
    public init(sha256Hex hex: String) throws {
        try self.init(parsing: "sha256:" + hex)
    }

    public var description: String { algorithm + ":" + hex }

    /// The 12 hex digits Docker shows for image and layer IDs.
    public var shortHex: String { String(hex.prefix(12)) }

    /// The sha256 of `bytes`.
    public static func sha256<Bytes: Sequence>(of bytes: Bytes) -> Digest where Bytes.Element == UInt8 {
        var hasher = DigestHasher()
        hasher.update(Array(bytes))
        return hasher.finalize()
    }

    public static func < (a: Digest, b: Digest) -> Bool { a.description < b.description }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: text)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// A running sha256 over data that arrives in pieces (a layer being
/// downloaded or written), so nothing needs the whole blob in memory.
public struct DigestHasher {
    private var hash = SHA256()
    public private(set) var count: Int64 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hash.update(bufferPointer: bytes)
        count += Int64(bytes.count)
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public func finalize() -> Digest {
        let hex = hexString(hash.finalize())
        return try! Digest(sha256Hex: hex)
    }
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

func hexString<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
    var out: [UInt8] = []
    out.reserveCapacity(64)
    for b in bytes {
        out.append(hexDigits[Int(b >> 4)])
        out.append(hexDigits[Int(b & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}
