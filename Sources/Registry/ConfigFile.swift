import Foundation
import TOMLKit

/// What one config file says, before it is laid over the others: every key
/// optional, so that a user file overrides only what it names.
struct ConfigFile: Equatable {
    var storageRoot: String?
    var union: HutchConfig.UnionBackend?
    var seccompProfile: String?
    var insecureRegistries: [String] = []
    var mirrors: [RegistryMirror] = []

    /// Parses the TOML text, refusing unknown tables and keys: a typo in a
    /// setting should be an error, not a setting silently ignored.
    static func parse(_ text: String, file: String) throws -> ConfigFile {
        if text.utf8.contains(0) {
            throw ConfigError(file: file, message: "contains a NUL byte: it is not a text file")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, message: "line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")
        }
        var result = ConfigFile()
        let reader = TableReader(file: file)
        try reader.onlyKeys(["storage", "registries", "security"], in: table, named: "")

        if let storage = try reader.table("storage", in: table, path: "") {
            try reader.onlyKeys(["root", "union"], in: storage, named: "storage")
            if let root = try reader.string("root", in: storage, path: "storage") {
                result.storageRoot = try expandRoot(root, file: file)
            }
            if let union = try reader.string("union", in: storage, path: "storage") {
                guard let backend = HutchConfig.UnionBackend(rawValue: union) else {
                    throw ConfigError(file: file, message: "storage.union is \"\(union)\": use \"fuse\", \"overlay\" or \"auto\"")
                }
                result.union = backend
            }
        }
        if let security = try reader.table("security", in: table, path: "") {
            try reader.onlyKeys(["seccomp_profile"], in: security, named: "security")
            if let profile = try reader.string("seccomp_profile", in: security, path: "security") {
                guard !profile.isEmpty else {
                    throw ConfigError(file: file, message: "security.seccomp_profile is empty: name a profile, e.g. \"default\"")
                }
                result.seccompProfile = try expandProfile(profile, file: file)
            }
        }
        if let registries = try reader.table("registries", in: table, path: "") {
            try reader.onlyKeys(["insecure", "mirror"], in: registries, named: "registries")
            for host in try reader.strings("insecure", in: registries, path: "registries") {
                try checkHost(host, key: "registries.insecure", file: file)
                result.insecureRegistries.append(host)
            }
            if let mirrors = registries["mirror"] {
                guard let array = mirrors.array else {
                    throw ConfigError(file: file, message: "registries.mirror must be written [[registries.mirror]]: an array of tables")
                }
                for (n, element) in array.enumerated() {
                    let path = "registries.mirror[\(n)]"
                    guard let entry = element.table else {
                        throw ConfigError(file: file, message: "\(path) is not a table")
                    }
                    try reader.onlyKeys(["prefix", "location", "insecure", "fallback"], in: entry, named: path)
                    guard let prefix = try reader.string("prefix", in: entry, path: path), !prefix.isEmpty else {
                        throw ConfigError(file: file, message: "\(path) has no prefix (e.g. prefix = \"docker.io\")")
                    }
                    guard let location = try reader.string("location", in: entry, path: path), !location.isEmpty else {
                        throw ConfigError(file: file, message: "\(path) has no location (e.g. location = \"127.0.0.1:5000\")")
                    }
                    try checkHost(String(prefix.split(separator: "/", maxSplits: 1)[0]), key: path + ".prefix", file: file)
                    try checkHost(String(location.split(separator: "/", maxSplits: 1)[0]), key: path + ".location", file: file)
                    result.mirrors.append(RegistryMirror(
                        prefix: trimSlashes(prefix), location: trimSlashes(location),
                        insecure: try reader.bool("insecure", in: entry, path: path) ?? false,
                        fallback: try reader.bool("fallback", in: entry, path: path) ?? false))
                }
            }
        }
        return result
    }

    static func trimSlashes(_ s: String) -> String {
        var s = Substring(s)
        while s.hasSuffix("/") { s = s.dropLast() }
        return String(s)
    }

    /// A registry host as written in a reference: `name[:port]`, no scheme.
    static func checkHost(_ host: String, key: String, file: String) throws {
        if host.contains("://") {
            throw ConfigError(file: file, message: "\(key) is \"\(host)\": write the host without a scheme, e.g. \"127.0.0.1:5000\"")
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]_")
        guard !host.isEmpty, host.allSatisfy({ allowed.contains($0) }) else {
            throw ConfigError(file: file, message: "\(key) is \"\(host)\", which is not a host[:port]")
        }
    }

    /// A profile name stays as it is; a path (one with a `/`, or a `.json`
    /// file) must be absolute or start with ~/, because a run would read a
    /// relative one from whatever folder it was started in.
    static func expandProfile(_ profile: String, file: String) throws -> String {
        guard profile.contains("/") || profile.hasSuffix(".json") else { return profile }
        var path = profile
        if path.hasPrefix("~/") {
            path = HutchConfig.homeDirectory(environment: ProcessInfo.processInfo.environment) + path.dropFirst()
        }
        guard path.hasPrefix("/") else {
            throw ConfigError(file: file, message: "security.seccomp_profile is \"\(profile)\": give a profile name, or a path that is absolute or starts with ~/")
        }
        return path
    }

    static func expandRoot(_ root: String, file: String) throws -> String {
        var path = root
        if path == "~" || path.hasPrefix("~/") {
            path = HutchConfig.homeDirectory(environment: ProcessInfo.processInfo.environment) + path.dropFirst()
        }
        guard path.hasPrefix("/") else {
            throw ConfigError(file: file, message: "storage.root is \"\(root)\": give an absolute path (or one starting with ~/)")
        }
        return path
    }
}

/// Typed access to a TOML table, with errors that name the key and the
/// type it should have.
private struct TableReader {
    let file: String

    func fail(_ message: String) -> ConfigError { ConfigError(file: file, message: message) }

    func qualified(_ key: String, _ path: String) -> String { path.isEmpty ? key : path + "." + key }

    func onlyKeys(_ known: Set<String>, in table: TOMLTable, named: String) throws {
        for key in table.keys.sorted() where !known.contains(key) {
            let place = named.isEmpty ? "at the top level" : "in [\(named)]"
            throw fail("unknown key \"\(key)\" \(place); known keys: \(known.sorted().joined(separator: ", "))")
        }
    }

    func table(_ key: String, in table: TOMLTable, path: String) throws -> TOMLTable? {
        guard let value = table[key] else { return nil }
        guard let t = value.table else { throw fail("\(qualified(key, path)) must be a table ([\(key)])") }
        return t
    }

    func string(_ key: String, in table: TOMLTable, path: String) throws -> String? {
        guard let value = table[key] else { return nil }
        guard let s = value.string else { throw fail("\(qualified(key, path)) must be a string (in double quotes)") }
        return s
    }

    func bool(_ key: String, in table: TOMLTable, path: String) throws -> Bool? {
        guard let value = table[key] else { return nil }
        guard let b = value.bool else { throw fail("\(qualified(key, path)) must be true or false") }
        return b
    }

    func strings(_ key: String, in table: TOMLTable, path: String) throws -> [String] {
        guard let value = table[key] else { return [] }
        guard let array = value.array else { throw fail("\(qualified(key, path)) must be an array of strings, e.g. [\"host:5000\"]") }
        return try array.map { element in
            guard let s = element.string else { throw fail("\(qualified(key, path)) must hold only strings") }
            return s
        }
    }
}
