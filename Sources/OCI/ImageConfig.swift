import Foundation

/// An image's configuration blob: how to run it, its layers' uncompressed
/// digests and its history. The image ID is the sha256 of these bytes as
/// stored, so hutch never re-encodes a config it did not make.
public struct ImageConfig: Codable, Hashable, Sendable {
    /// RFC 3339 text, kept as written (nanoseconds and zone intact).
    public var created: String?
    public var author: String?
    public var architecture: String
    public var os: String
    public var variant: String?
    public var osVersion: String?
    public var config: ContainerConfig?
    public var rootfs: RootFS
    public var history: [HistoryEntry]?

    enum CodingKeys: String, CodingKey {
        case created, author, architecture, os, variant, config, rootfs, history
        case osVersion = "os.version"
    }

    public init(created: String? = nil, author: String? = nil, architecture: String = Platform.host.architecture,
                os: String = "linux", config: ContainerConfig? = nil, rootfs: RootFS, history: [HistoryEntry]? = nil) {
        self.created = created
        self.author = author
        self.architecture = architecture
        self.os = os
        self.config = config
        self.rootfs = rootfs
        self.history = history
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        created = try c.decodeIfPresent(String.self, forKey: .created)
        author = try c.decodeIfPresent(String.self, forKey: .author)
        // Some old images omit these; an empty value reads better than a refusal.
        architecture = try c.decodeIfPresent(String.self, forKey: .architecture) ?? ""
        os = try c.decodeIfPresent(String.self, forKey: .os) ?? ""
        variant = try c.decodeIfPresent(String.self, forKey: .variant)
        osVersion = try c.decodeIfPresent(String.self, forKey: .osVersion)
        config = try c.decodeIfPresent(ContainerConfig.self, forKey: .config)
        rootfs = try c.decode(RootFS.self, forKey: .rootfs)
        history = try c.decodeIfPresent([HistoryEntry].self, forKey: .history)
    }

    public static func decode(_ data: Data) throws -> ImageConfig {
        do { return try JSONDecoder().decode(ImageConfig.self, from: data) } catch {
            throw OCIError.invalidJSON(what: "image config", describe(error))
        }
    }

    public func encoded() throws -> Data { try canonicalEncoder().encode(self) }

    public var createdDate: Date? { created.flatMap(parseRFC3339) }

    public var platform: Platform {
        var p = Platform(architecture: architecture, os: os, variant: variant)
        p.osVersion = osVersion
        return p
    }
}

/// The part of the config a container starts from (Docker's field names).
public struct ContainerConfig: Codable, Hashable, Sendable {
    public var user: String?
    public var exposedPorts: [String: EmptyObject]?
    public var env: [String]?
    public var entrypoint: [String]?
    public var cmd: [String]?
    public var volumes: [String: EmptyObject]?
    public var workingDir: String?
    public var labels: [String: String]?
    public var stopSignal: String?
    public var argsEscaped: Bool?
    public var shell: [String]?
    public var onBuild: [String]?
    public var healthcheck: Healthcheck?

    enum CodingKeys: String, CodingKey {
        case user = "User", exposedPorts = "ExposedPorts", env = "Env", entrypoint = "Entrypoint", cmd = "Cmd"
        case volumes = "Volumes", workingDir = "WorkingDir", labels = "Labels", stopSignal = "StopSignal"
        case argsEscaped = "ArgsEscaped", shell = "Shell", onBuild = "OnBuild", healthcheck = "Healthcheck"
    }

    public init(user: String? = nil, env: [String]? = nil, entrypoint: [String]? = nil, cmd: [String]? = nil,
                workingDir: String? = nil) {
        self.user = user
        self.env = env
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.workingDir = workingDir
    }
}

public struct Healthcheck: Codable, Hashable, Sendable {
    public var test: [String]?
    public var interval: Int64?
    public var timeout: Int64?
    public var startPeriod: Int64?
    public var retries: Int?
    enum CodingKeys: String, CodingKey {
        case test = "Test", interval = "Interval", timeout = "Timeout", startPeriod = "StartPeriod", retries = "Retries"
    }
}

/// `{}` in maps like ExposedPorts and Volumes; any content is ignored.
public struct EmptyObject: Codable, Hashable, Sendable {
    public init() {}
    public init(from decoder: Decoder) throws {}
    public func encode(to encoder: Encoder) throws {
        _ = encoder.container(keyedBy: NoKeys.self)
    }
    private enum NoKeys: CodingKey {}
}

public struct RootFS: Codable, Hashable, Sendable {
    public var type: String
    /// The sha256 of each layer's uncompressed tar, base first.
    public var diffIDs: [Digest]

    enum CodingKeys: String, CodingKey {
        case type
        case diffIDs = "diff_ids"
    }

    public init(diffIDs: [Digest]) {
        self.type = "layers"
        self.diffIDs = diffIDs
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decode(String.self, forKey: .type)
        diffIDs = try c.decodeIfPresent([Digest].self, forKey: .diffIDs) ?? []
    }
}

public struct HistoryEntry: Codable, Hashable, Sendable {
    public var created: String?
    public var createdBy: String?
    public var author: String?
    public var comment: String?
    public var emptyLayer: Bool?

    enum CodingKeys: String, CodingKey {
        case created, author, comment
        case createdBy = "created_by"
        case emptyLayer = "empty_layer"
    }

    public init(created: String? = nil, createdBy: String? = nil, author: String? = nil, comment: String? = nil,
                emptyLayer: Bool? = nil) {
        self.created = created
        self.createdBy = createdBy
        self.author = author
        self.comment = comment
        self.emptyLayer = emptyLayer
    }

    public var createdDate: Date? { created.flatMap(parseRFC3339) }
}

/// Parses RFC 3339 with or without fractional seconds (Go writes up to 9 digits).
public func parseRFC3339(_ text: String) -> Date? {
    // Drop the fraction, which ISO8601DateFormatter only takes at 3 digits.
    var base = text
    var fraction = 0.0
    if let dot = text.firstIndex(of: ".") {
        var end = text.index(after: dot)
        while end < text.endIndex, text[end].isNumber { end = text.index(after: end) }
        fraction = Double("0" + text[dot..<end]) ?? 0
        base = String(text[..<dot]) + String(text[end...])
    }
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    return f.date(from: base).map { $0.addingTimeInterval(fraction) }
}

/// Formats a date as Go's time.RFC3339Nano does in UTC (what Docker writes).
public func formatRFC3339(_ date: Date) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    f.timeZone = TimeZone(identifier: "UTC")
    let whole = date.timeIntervalSince1970.rounded(.down)
    let base = f.string(from: Date(timeIntervalSince1970: whole))
    let nanos = Int(((date.timeIntervalSince1970 - whole) * 1e9).rounded())
    guard nanos > 0 else { return base }
    var frac = String(nanos)
    frac = String(repeating: "0", count: max(0, 9 - frac.count)) + frac
    while frac.hasSuffix("0") { frac.removeLast() }
    return String(base.dropLast()) + "." + frac + "Z"
}
