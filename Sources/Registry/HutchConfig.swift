import Foundation

/// hutch's settings, from `/etc/hutch/config.toml` (the system's) and
/// `$XDG_CONFIG_HOME/hutch/config.toml` (the user's, which overrides it).
/// docs/config.md documents every key with an example.
public struct HutchConfig: Equatable, Sendable {
    /// Which union filesystem mounts a container's layers.
    public enum UnionBackend: String, Equatable, Sendable, CaseIterable {
        case fuse, overlay, auto
    }

    /// `[storage] root`: where images and containers live; nil means the
    /// default (`$XDG_DATA_HOME/hutch`). Always absolute (`~/` is expanded).
    public var storageRoot: String?
    /// `[storage] union`.
    public var union: UnionBackend = .auto
    /// `[security] seccomp_profile`: a profile name from profiles/ or a path.
    public var seccompProfile: String = "default"
    /// `[registries] insecure`: `host[:port]` reached over plain HTTP.
    public var insecureRegistries: [String] = []
    /// `[[registries.mirror]]`, in file order (system first).
    public var mirrors: [RegistryMirror] = []

    public init() {}

    /// The system file, then the user's over it. A missing file is no error;
    /// an unreadable or broken one is.
    public static func load() throws -> HutchConfig {
        try load(files: defaultFiles())
    }

    /// Reads `files` in order, each overriding the ones before it.
    public static func load(files: [String]) throws -> HutchConfig {
        var config = HutchConfig()
        for path in files {
            let text: String
            do {
                guard FileManager.default.fileExists(atPath: path) else { continue }
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ConfigError(file: path, message: "cannot read it: \(error.localizedDescription)")
            }
            let layer = try ConfigFile.parse(text, file: path)
            config.apply(layer)
        }
        return config
    }

    /// Parses one file's text alone (over the defaults).
    public static func parse(_ text: String, file: String = "config.toml") throws -> HutchConfig {
        var config = HutchConfig()
        config.apply(try ConfigFile.parse(text, file: file))
        return config
    }

    /// `/etc/hutch/config.toml` then `$XDG_CONFIG_HOME/hutch/config.toml`.
    public static func defaultFiles(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        ["/etc/hutch/config.toml", configDirectory(environment: environment) + "/config.toml"]
    }

    /// `$XDG_CONFIG_HOME/hutch`, by default `~/.config/hutch`.
    public static func configDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") { return xdg + "/hutch" }
        return homeDirectory(environment: environment) + "/.config/hutch"
    }

    static func homeDirectory(environment: [String: String]) -> String {
        if let home = environment["HOME"], !home.isEmpty { return home }
        return NSHomeDirectory()
    }

    /// Scalars the later file sets replace; lists add up, and a later
    /// mirror for the same prefix replaces the earlier one.
    mutating func apply(_ file: ConfigFile) {
        if let root = file.storageRoot { storageRoot = root }
        if let union = file.union { self.union = union }
        if let profile = file.seccompProfile { seccompProfile = profile }
        for host in file.insecureRegistries where !insecureRegistries.contains(host) {
            insecureRegistries.append(host)
        }
        for mirror in file.mirrors {
            mirrors.removeAll { $0.prefix == mirror.prefix }
            mirrors.append(mirror)
        }
    }

    /// Whether `host` (`name[:port]`) is named insecure: plain HTTP allowed.
    public func isInsecure(host: String) -> Bool {
        insecureRegistries.contains { $0.lowercased() == host.lowercased() }
    }
}

/// A `[[registries.mirror]]` entry: repositories under `prefix` (a registry
/// such as `docker.io`, or a registry and a path, `docker.io/library`) are
/// fetched from `location` instead.
public struct RegistryMirror: Equatable, Sendable {
    public var prefix: String
    public var location: String
    /// Plain HTTP to the mirror even when it is not on a loopback address.
    public var insecure: Bool
    /// When the mirror fails (unreachable, or has not the image), try the
    /// original registry; off unless the file says so.
    public var fallback: Bool

    public init(prefix: String, location: String, insecure: Bool = false, fallback: Bool = false) {
        self.prefix = prefix
        self.location = location
        self.insecure = insecure
        self.fallback = fallback
    }
}

/// A config file that cannot be used, naming the file and what to fix.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var message: String
    public var description: String { "config file \(file): \(message)" }
}

import Store

extension HutchConfig {
    /// Loads the config files and makes their storage root the store's
    /// default (after `--root` and `$HUTCH_ROOT`); commands call this first.
    @discardableResult
    public static func loadAndInstall() throws -> HutchConfig {
        let config = try load()
        let root = config.storageRoot
        StoreLocation.configuredRoot = { root }
        return config
    }
}
