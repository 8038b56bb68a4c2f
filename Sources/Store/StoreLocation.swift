import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the store lives. The one place that decides it, in this order:
/// `--root`, `$HUTCH_ROOT`, the config file's storage root (through
/// `configuredRoot`, set by the config loader), `$XDG_DATA_HOME/hutch`,
/// `~/.local/share/hutch`. When that default place is on a filesystem that
/// cannot hold the store (a home folder on NFS), `choose` puts the store in
/// a local folder instead (`/var/tmp/hutch-UID`) and says why.
public struct StoreLocation: Sendable, Equatable {
    public let root: String
    /// What decided it, for `hutch info`.
    public let source: String
    /// Why the default place was not used (for `hutch info`), nil when it was.
    public var fallbackReason: String?

    public init(root: String, source: String, fallbackReason: String? = nil) {
        self.root = root
        self.source = source
        self.fallbackReason = fallbackReason
    }

    /// The user named this root (`--root`, HUTCH_ROOT, config file): it is
    /// used as given, or refused, never moved.
    public var isExplicit: Bool { ["--root", "HUTCH_ROOT", "config file"].contains(source) }

    /// Set by the config file loader (registry module) before commands run:
    /// returns the `root` setting of config.toml, if any.
    nonisolated(unsafe) public static var configuredRoot: (() -> String?)? = nil

    /// Where the user's settings put the store, without looking at the disk.
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

    /// `resolve`, then the filesystem check: an explicit root on a
    /// filesystem that cannot hold the store is an error saying why; the
    /// default one is replaced by `fallbackFolder`, with a one-line notice on
    /// stderr the first time that folder is made.
    public static func choose(rootOverride: String?,
                              environment: [String: String] = ProcessInfo.processInfo.environment,
                              notice: (String) -> Void = { FileHandle.standardError.write(Data(("hutch: " + $0 + "\n").utf8)) }) throws -> StoreLocation {
        let wanted = resolve(rootOverride: rootOverride, environment: environment)
        // A store already made there passed the probe once: statfs alone then.
        let exists = access(wanted.root + "/store.lock", F_OK) == 0
        guard let why = StoreFilesystem.problem(at: wanted.root, probe: !exists) else { return wanted }
        if wanted.isExplicit {
            throw StoreError.unsupportedFilesystem(
                "cannot use \(wanted.root) (from \(wanted.source)) for images and containers: \(why); choose a folder on a local disk")
        }
        let local = fallbackFolder()
        let created = try makePrivateFolder(local)
        let reason = "\(wanted.root) cannot hold the store: \(why)"
        if created { notice("\(reason); using \(local) instead (see `hutch info`; set HUTCH_ROOT to choose)") }
        return StoreLocation(root: local, source: "local fallback", fallbackReason: reason)
    }

    /// `/var/tmp/hutch-UID`: local on any machine, kept across reboots.
    public static func fallbackFolder() -> String { "/var/tmp/hutch-\(getuid())" }

    /// Makes `path` mode 0700, or checks that the one there is a folder of
    /// this user that nobody else may write: in a shared /var/tmp, someone
    /// could have made it first. True when it was made now.
    static func makePrivateFolder(_ path: String) throws -> Bool {
        if mkdir(path, 0o700) == 0 { return true }
        guard errno == EEXIST else { throw StoreError.io("cannot create the local store folder", path: path, errno: errno) }
        var st = stat()
        guard lstat(path, &st) == 0 else { throw StoreError.io("cannot use the local store folder", path: path, errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == getuid(), st.st_mode & 0o022 == 0 else {
            throw StoreError.unsupportedFilesystem(
                "refusing the local store folder \(path): it is not a folder of yours that only you may write (owner uid \(st.st_uid), mode \(String(st.st_mode & 0o7777, radix: 8))); remove it or set HUTCH_ROOT")
        }
        return false
    }

    static func absolute(_ path: String) -> String {
        var p = path
        if p.hasPrefix("~/") { p = NSHomeDirectory() + p.dropFirst(1) }
        if !p.hasPrefix("/") { p = FileManager.default.currentDirectoryPath + "/" + p }
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }
}
