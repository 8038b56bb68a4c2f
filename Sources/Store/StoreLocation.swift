import Foundation

/// Where the store lives. The one place that decides it, in this order:
/// `--root`, `$HUTCH_ROOT`, the config file's storage root (through
/// `configuredRoot`, set by the config loader), `$XDG_DATA_HOME/hutch`,
/// `~/.local/share/hutch`.
public struct StoreLocation: Sendable, Equatable {
    public let root: String
    /// What decided it, for `hutch info`.
    public let source: String

    public init(root: String, source: String) {
        self.root = root
        self.source = source
    }

    /// Set by the config file loader (registry module) before commands run:
    /// returns the `root` setting of config.toml, if any.
    nonisolated(unsafe) public static var configuredRoot: (() -> String?)? = nil

    public static func resolve(rootOverride: String?,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> StoreLocation {
        if let r = rootOverride, !r.isEmpty { return StoreLocation(root: absolute(r), source: "--root") }
        if let r = environment["HUTCH_ROOT"], !r.isEmpty { return StoreLocation(root: absolute(r), source: "HUTCH_ROOT") }
        if let r = configuredRoot?(), !r.isEmpty { return StoreLocation(root: absolute(r), source: "config file") }
        if let x = environment["XDG_DATA_HOME"], x.hasPrefix("/") {
            return StoreLocation(root: x + "/hutch", source: "XDG_DATA_HOME")
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return StoreLocation(root: home + "/.local/share/hutch", source: "default")
    }

    static func absolute(_ path: String) -> String {
        var p = path
        if p.hasPrefix("~/") { p = NSHomeDirectory() + p.dropFirst(1) }
        if !p.hasPrefix("/") { p = FileManager.default.currentDirectoryPath + "/" + p }
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }
}
