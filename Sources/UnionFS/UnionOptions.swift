/// How a union mount is set up: the layers and the ownership options that
/// fuse-overlayfs also takes, so either program reads the same `-o` string.
public struct UnionOptions: Equatable, Sendable {
    /// Lower layers, top-most first (as in `lowerdir=top:...:bottom`).
    public var lowers: [String] = []
    /// The writable layer; nil mounts read-only.
    public var upper: String?
    /// Scratch space on the upper's filesystem for atomic copy-up.
    public var work: String?
    /// Show every file as owned by root (fuse-overlayfs `squash_to_root`).
    public var squashToRoot = false
    /// Show every file as owned by this uid / gid.
    public var squashToUID: UInt32?
    public var squashToGID: UInt32?
    /// Container-to-host id translation (fuse-overlayfs `uidmapping=`/`gidmapping=`).
    public var uidMapping = IDMapping.identity
    public var gidMapping = IDMapping.identity
    /// Exit (unmounting) when this process ends: hutch passes the process that
    /// holds the container's namespaces, so a kill -9 leaves no daemon behind.
    public var watchPID: Int32?
    /// Let other users (other uids of a user namespace) use the mount.
    public var allowOther = false
    /// A unix socket (created mode 0600) that takes seccomp listener
    /// descriptors: chown calls a single-id container's filter notifies are
    /// answered here (ChownSupervisor.swift). hutch sends them with
    /// `SeccompListenerForwarder.send(fd:to:)`.
    public var controlSocket: String?
    /// Mount inside this process's user and mount namespaces (hutch passes a
    /// container's init, before it runs): the mount is then the container's
    /// own, open to every id of its user namespace without user_allow_other,
    /// and requests arrive with the container's ids.
    public var joinPID: Int32?
    /// Never give a file to another id on disk, even one the namespace maps:
    /// every owner but the daemon's own goes to the override xattr, so the
    /// layers stay the user's files (removable without entering a namespace).
    public var xattrOwners = false
    /// A descriptor to close once the mount is live and the daemon settled:
    /// hutch waits on the other end of the pipe.
    public var readyFD: Int32?
    /// Leave metadata-only copies as they are when the mount ends (for an
    /// upper that is deleted, or read only by hutch's store); by default
    /// their data is copied in then.
    public var keepStubs = false
    /// Options hutch-unionfs does not interpret, passed on to FUSE.
    public var fuseOptions: [String] = []

    public init() {}

    public init(lowers: [String], upper: String?, work: String?) {
        self.lowers = lowers
        self.upper = upper
        self.work = work
    }

    /// Parses one `-o` argument (comma separated, may be given several times).
    public mutating func parse(_ text: String) throws {
        for item in splitOptions(text) where !item.isEmpty {
            let key: Substring, value: Substring?
            if let eq = item.firstIndex(of: "=") {
                key = item[..<eq]; value = item[item.index(after: eq)...]
            } else {
                key = Substring(item); value = nil
            }
            func need() throws -> String {
                guard let value, !value.isEmpty else { throw UnionFSError.badOption("\(key) needs a value") }
                return String(value)
            }
            switch key {
            case "lowerdir": lowers = try splitLowers(need())
            case "upperdir": upper = try need()
            case "workdir": work = try need()
            case "squash_to_root": squashToRoot = true
            case "squash_to_uid": squashToUID = try number(need(), key)
            case "squash_to_gid": squashToGID = try number(need(), key)
            case "uidmapping": uidMapping = try IDMapping(parsing: need())
            case "gidmapping": gidMapping = try IDMapping(parsing: need())
            case "watch_pid": watchPID = Int32(bitPattern: try number(need(), key))
            case "allow_other": allowOther = true
            case "control": controlSocket = try need()
            case "join_ns": joinPID = Int32(bitPattern: try number(need(), key))
            case "xattr_owners": xattrOwners = true
            case "ready_fd": readyFD = Int32(bitPattern: try number(need(), key))
            case "keep_stubs": keepStubs = true
            // fuse-overlayfs options with no meaning here (we always behave this way).
            case "fast_ino", "noxattrs", "plugins", "threaded", "fsync", "xattr_permissions",
                 "static_nlink", "noacl", "timeout", "volatile", "redirect_dir", "index",
                 "metacopy", "userxattr", "context":
                break
            default: fuseOptions.append(item)
            }
        }
    }

    /// Checks that the mount can be made, with messages a user can act on.
    public func validate() throws {
        guard !lowers.isEmpty else { throw UnionFSError.badOption("no lowerdir= given") }
        if upper != nil && work == nil { throw UnionFSError.badOption("upperdir= needs workdir=") }
    }

    /// The `-o` string that reproduces these options.
    public var optionString: String {
        var parts = ["lowerdir=" + lowers.map { $0.replacingColons() }.joined(separator: ":")]
        if let upper { parts.append("upperdir=" + upper) }
        if let work { parts.append("workdir=" + work) }
        if squashToRoot { parts.append("squash_to_root") }
        if let squashToUID { parts.append("squash_to_uid=\(squashToUID)") }
        if let squashToGID { parts.append("squash_to_gid=\(squashToGID)") }
        if !uidMapping.isIdentity { parts.append("uidmapping=" + uidMapping.description) }
        if !gidMapping.isIdentity { parts.append("gidmapping=" + gidMapping.description) }
        if let watchPID { parts.append("watch_pid=\(watchPID)") }
        if allowOther { parts.append("allow_other") }
        if let controlSocket { parts.append("control=" + controlSocket) }
        if let joinPID { parts.append("join_ns=\(joinPID)") }
        if xattrOwners { parts.append("xattr_owners") }
        if let readyFD { parts.append("ready_fd=\(readyFD)") }
        if keepStubs { parts.append("keep_stubs") }
        parts += fuseOptions
        return parts.joined(separator: ",")
    }
}

private func number(_ s: String, _ key: Substring) throws -> UInt32 {
    guard let n = UInt32(s) else { throw UnionFSError.badOption("\(key)=\(s) is not a number") }
    return n
}

/// Splits on commas not escaped with a backslash.
private func splitOptions(_ text: String) -> [String] {
    var out: [String] = [], cur = "", escaped = false
    for ch in text {
        if escaped { cur.append(ch); escaped = false; continue }
        if ch == "\\" { escaped = true; cur.append(ch); continue }
        if ch == "," { out.append(cur); cur = ""; continue }
        cur.append(ch)
    }
    out.append(cur)
    return out
}

/// Splits `a:b\:c:d` into layers; `\:` is a literal colon, as in fuse-overlayfs.
private func splitLowers(_ text: String) throws -> [String] {
    var out: [String] = [], cur = "", escaped = false
    for ch in text {
        if escaped { cur.append(ch); escaped = false; continue }
        if ch == "\\" { escaped = true; continue }
        if ch == ":" { out.append(cur); cur = ""; continue }
        cur.append(ch)
    }
    out.append(cur)
    if out.contains(where: { $0.isEmpty }) { throw UnionFSError.badOption("lowerdir= has an empty layer") }
    return out
}

extension String {
    fileprivate func replacingColons() -> String {
        var s = ""
        for ch in self { if ch == ":" || ch == "," { s.append("\\") }; s.append(ch) }
        return s
    }
}
