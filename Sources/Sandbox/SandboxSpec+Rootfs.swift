#if canImport(Glibc)
import Glibc
#endif

/// What an image contributes before the user's options (issue 02 fills it).
public struct ImageDefaults: Equatable {
    public var environment: [String]
    public var user: String?
    public var workdir: String?

    public init(environment: [String] = [], user: String? = nil, workdir: String? = nil) {
        self.environment = environment
        self.user = user
        self.workdir = workdir
    }
}

/// Facts about the user running hutch, read once.
public struct HostUser: Equatable {
    public var uid: UInt32
    public var gid: UInt32
    public var subuid: SubordinateRange?
    public var subgid: SubordinateRange?

    public init(uid: UInt32, gid: UInt32, subuid: SubordinateRange?, subgid: SubordinateRange?) {
        self.uid = uid
        self.gid = gid
        self.subuid = subuid
        self.subgid = subgid
    }

    /// This process's user, with its ranges from /etc/subuid and /etc/subgid.
    public static func current() -> HostUser {
        let uid = getuid(), gid = getgid()
        let subuidText = SystemFiles.read("/etc/subuid") ?? ""
        let subgidText = SystemFiles.read("/etc/subgid") ?? ""
        // Only ask NSS for the name when there is a range to match it against.
        var name: String?
        if !subuidText.isEmpty || !subgidText.isEmpty, let pw = getpwuid(uid) { name = String(cString: pw.pointee.pw_name) }
        return HostUser(uid: uid, gid: gid,
                        subuid: SubordinateRange.find(in: subuidText, user: name, id: uid),
                        subgid: SubordinateRange.find(in: subgidText, user: name, id: uid))
    }
}

extension String {
    var replacingNUL: String { split(separator: "\0", omittingEmptySubsequences: false).joined(separator: "\\0") }
}

extension SandboxSpec {
    /// Builds the spec for `hutch run --rootfs DIR [OPTIONS] COMMAND...`:
    /// checks every option and resolves names against the rootfs.
    public static func forRootfs(_ rootfsPath: String, command: [String], options: RunOptions,
                                 image: ImageDefaults = ImageDefaults(),
                                 host: HostUser = .current(),
                                 hostEnvironment: (String) -> String? = SystemFiles.environment,
                                 files: ((String) -> String?)? = nil) throws -> SandboxSpec {
        guard !command.isEmpty else { throw SandboxError.invalidOption("no command given: hutch run --rootfs DIR COMMAND [ARG...]") }
        // The kernel takes C strings: a NUL would cut a value short unseen.
        for value in command + options.env + options.volumes + options.tmpfs + [options.workdir, options.user, options.hostname].compactMap({ $0 })
            where value.utf8.contains(0) {
            throw SandboxError.invalidOption("invalid argument \"\(value.replacingNUL)\": it contains a NUL byte")
        }
        guard let rootfs = SystemFiles.realpath(rootfsPath), SystemFiles.isDirectory(rootfs) == true else {
            throw SandboxError.invalidOption("rootfs \(rootfsPath): no such directory")
        }

        // The root's /etc/passwd and /etc/group: read from the folder, or by
        // the caller (an image container whose root is mounted in its own namespace).
        let read: (String) -> String? = files ?? { SystemFiles.read(rootfs + $0) }
        // Who the command runs as.
        let keepID: Bool
        switch options.userns {
        case nil, "", "host", "auto": keepID = false
        case "keep-id": keepID = true
        case let other?: throw SandboxError.invalidOption("invalid --userns \(other): expected keep-id or host")
        }
        var user = ContainerUser.root
        if let name = options.user ?? image.user, !name.isEmpty {
            user = try ContainerUser.resolve(name, passwd: read("/etc/passwd") ?? "",
                                             group: read("/etc/group") ?? "")
        } else if keepID {
            user = ContainerUser(uid: host.uid, gid: host.gid, groups: [host.gid],
                                 home: homeOf(uid: host.uid, passwd: read("/etc/passwd")) ?? "/")
        } else if let home = homeOf(uid: 0, passwd: read("/etc/passwd")) {
            user.home = home
        }
        let maps = IDMappings.compute(hostUID: host.uid, hostGID: host.gid, subuid: host.subuid, subgid: host.subgid,
                                      uid: user.uid, gid: user.gid, keepID: keepID)
        guard maps.mapsUID(user.uid), maps.mapsGID(user.gid) else {
            throw SandboxError.invalidOption("user \(user.uid):\(user.gid) is outside this user's id range (\(IDMappings.mapText(maps.uids).split(separator: "\n").joined(separator: ", ")))")
        }
        user.groups = user.groups.filter(maps.mapsGID)

        let hostname = options.hostname ?? randomContainerID()
        guard isValidHostname(hostname) else {
            throw SandboxError.invalidOption("invalid hostname \"\(hostname)\": letters, digits, '-' and '.', at most 63 characters")
        }
        let network: Network
        switch options.network {
        case nil, "", "host", "default": network = .host
        case "none": network = .none
        case let other?: throw SandboxError.invalidOption("network \(other) not found: hutch supports --network none and host for now")
        }

        // Environment: Docker's order, later entries of a key win.
        var env = ["PATH=\(defaultPath)", "HOSTNAME=\(hostname)"]
        if options.tty { env.append("TERM=xterm") }
        env += image.environment
        for file in options.envFiles {
            guard let text = SystemFiles.read(file) else {
                throw SandboxError.invalidOption("open \(file): \(SystemFiles.describe(errno))")
            }
            env += try EnvironmentOption.parseFile(text, path: file, host: hostEnvironment)
        }
        for entry in options.env { if let e = try EnvironmentOption.resolve(entry, host: hostEnvironment) { env.append(e) } }
        if !env.contains(where: { $0.hasPrefix("HOME=") }) { env.append("HOME=\(user.home)") }
        env = deduplicated(env)

        let workdir = options.workdir ?? image.workdir ?? "/"
        guard workdir.hasPrefix("/") else {
            throw SandboxError.invalidOption("the working directory '\(workdir)' is invalid, it needs to be an absolute path")
        }

        let volumes = try options.volumes.map { text -> VolumeMount in
            let volume = try VolumeMount.parse(text)
            guard SystemFiles.isDirectory(volume.source) != nil else {
                throw SandboxError.invalidOption("invalid volume '\(text)': host path \(volume.source): no such file or directory")
            }
            return volume
        }
        for text in options.tmpfs { _ = try TmpfsOption.parse(text) }
        let security = try SecurityOptions.parse(options.securityOpts)
        var caps = try CapabilitySet.resolve(add: options.capAdd, drop: options.capDrop)
        if !options.capAdd.isEmpty || !options.capDrop.isEmpty { caps.bits &= CapabilitySet.all.bits }

        return SandboxSpec(rootfs: rootfs, argv: command, environment: env, workdir: workdir, user: user,
                           hostname: hostname, network: network, idMappings: maps, capabilities: caps,
                           noNewPrivileges: security.noNewPrivileges, readOnlyRoot: options.readOnly,
                           volumes: volumes, tmpfs: options.tmpfs,
                           rlimits: try options.ulimits.map(ResourceLimit.parse),
                           seccomp: security.seccomp, seccompFilter: nil,
                           stdio: options.tty ? .terminal : .inherit, interactive: options.interactive)
    }

    /// Later entries of a key replace earlier ones, keeping the first position.
    static func deduplicated(_ env: [String]) -> [String] {
        var result: [String] = []
        var index: [Substring: Int] = [:]
        for entry in env {
            let key = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            if let i = index[key] { result[i] = entry } else { index[key] = result.count; result.append(entry) }
        }
        return result
    }

    static func homeOf(uid: UInt32, passwd: String?) -> String? {
        PasswdEntry.parse(passwd ?? "").first { $0.uid == uid }?.home
    }

    /// RFC 1123 labels, the length Linux accepts for a UTS name.
    static func isValidHostname(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 63 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.first != "-" && label.last != "-" &&
                label.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        }
    }

    /// 12 hex characters, like the short id Docker uses as a hostname.
    public static func randomContainerID() -> String {
        let bytes = (0..<6).map { _ in UInt8.random(in: 0...255) }
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }
}
