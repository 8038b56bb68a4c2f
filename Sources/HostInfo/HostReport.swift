import Foundation

/// What this machine allows this user, checked for real where it can be
/// (a namespace created, /dev/fuse opened, an overlay mounted), and what
/// hutch will use as a result. Each failed check carries the fix.
public struct HostReport: Codable, Sendable {
    public var user: String
    public var uid: UInt32
    public var kernel: String
    public var userNamespaces: Finding
    public var subuid: [IDRange]
    public var subgid: [IDRange]
    public var newuidmap: String?
    public var newgidmap: String?
    public var fuse: Finding
    public var fusermount3: String?
    public var kernelOverlay: Finding
    public var seccomp: Finding
    public var cgroup: CgroupInfo
    public var storage: StorageInfo
    public var pasta: String?
    public var slirp4netns: String?
    public var uses: Choices

    /// One check: whether it passed, what was seen, and how to fix it when not.
    public struct Finding: Codable, Sendable, Equatable {
        public var ok: Bool
        public var detail: String
        public var fix: String?
    }

    /// A subordinate id range from /etc/subuid or /etc/subgid.
    public struct IDRange: Codable, Sendable, Equatable {
        public var start: UInt32
        public var count: UInt32
    }

    public struct CgroupInfo: Codable, Sendable {
        public var version: String
        public var path: String?
        public var controllers: [String]
        public var delegated: Bool
        public var fix: String?
    }

    public struct StorageInfo: Codable, Sendable {
        public var path: String
        public var filesystem: String
        public var warning: String?
        /// What chose the folder (--root, HUTCH_ROOT, config file, XDG_DATA_HOME, default, local fallback).
        public var source: String?
        /// Why the default folder was not used, or why the chosen one is refused.
        public var note: String?
    }

    /// Where the store is, as the Store module decided it (the CLI passes it in).
    public struct StoreChoice: Sendable {
        public var path: String
        public var source: String
        public var note: String?
        public init(path: String, source: String, note: String?) {
            self.path = path
            self.source = source
            self.note = note
        }
    }

    /// What hutch picks on this machine.
    public struct Choices: Codable, Sendable {
        public var unionFilesystem: String
        public var idMapping: String
        public var network: String
    }

    /// Runs every check for the current user.
    public static func gather(environment: [String: String] = ProcessInfo.processInfo.environment,
                              store: StoreChoice? = nil) -> HostReport {
        let uid = getuid()
        let user = HostChecks.userName(uid: uid, environment: environment)
        let subuid = HostChecks.subordinateRanges(file: "/etc/subuid", user: user, uid: uid)
        let subgid = HostChecks.subordinateRanges(file: "/etc/subgid", user: user, uid: uid)
        let newuidmap = HostChecks.findExecutable("newuidmap", environment: environment)
        let newgidmap = HostChecks.findExecutable("newgidmap", environment: environment)
        let storagePath = store?.path ?? HostChecks.storageFolder(environment: environment)
        let userns = HostChecks.userNamespaces(environment: environment)
        let overlay = userns.ok ? HostChecks.kernelOverlay(storage: storagePath, environment: environment)
            : Finding(ok: false, detail: "not tried: user namespaces are not allowed", fix: userns.fix)
        let pasta = HostChecks.findExecutable("pasta", environment: environment)
        let slirp = HostChecks.findExecutable("slirp4netns", environment: environment)
        let fuse = HostChecks.fuseDevice()

        let mapping: String
        if let r = subuid.first, !subgid.isEmpty, newuidmap != nil, newgidmap != nil {
            mapping = "subuid range: container 0-\(min(r.count, 65536) - 1) -> \(uid), \(r.start)..."
        } else {
            mapping = "single id: container root is you (uid \(uid)); ownership kept in xattrs by hutch-unionfs"
        }
        let union = overlay.ok ? "kernel overlay (userxattr)" : (fuse.ok ? "hutch-unionfs (FUSE)" : "none available")
        let network = pasta != nil ? "pasta" : (slirp != nil ? "slirp4netns" : "host or none only")
        return HostReport(
            user: user, uid: uid, kernel: HostChecks.kernelRelease(), userNamespaces: userns,
            subuid: subuid, subgid: subgid, newuidmap: newuidmap, newgidmap: newgidmap,
            fuse: fuse, fusermount3: HostChecks.findExecutable("fusermount3", environment: environment),
            kernelOverlay: overlay, seccomp: HostChecks.seccomp(), cgroup: HostChecks.cgroup(uid: uid),
            storage: HostChecks.storage(path: storagePath, source: store?.source, note: store?.note), pasta: pasta, slirp4netns: slirp,
            uses: Choices(unionFilesystem: union, idMapping: mapping, network: network))
    }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
