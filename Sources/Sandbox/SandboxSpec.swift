/// Everything about one container process, decided before it starts. Built
/// by `SandboxSpec.forRootfs` (or by the image code), started by
/// `Sandbox.run(_:)` or `SandboxProcess.spawn(_:)`.
public struct SandboxSpec {
    public enum Network: Equatable {
        /// The host's network namespace.
        case host
        /// A new network namespace with only the loopback interface, up.
        case none
    }

    /// The standard streams of the command.
    public enum Stdio: Equatable {
        /// stdin from /dev/null (or the host's with `interactive`), stdout
        /// and stderr the host's.
        case inherit
        /// A new pseudo-terminal, relayed by `Sandbox.run` (`-t`).
        case terminal
        /// Given descriptors (a detached container's log files).
        case descriptors(stdin: Int32, stdout: Int32, stderr: Int32)
    }

    /// An absolute path to the root folder.
    public var rootfs: String
    public var argv: [String]
    /// KEY=VAL, in order; the last of a key wins.
    public var environment: [String]
    public var workdir: String
    public var user: ContainerUser
    public var hostname: String
    public var network: Network
    public var idMappings: IDMappings
    /// The process's capabilities when it runs as root (bounding set always).
    public var capabilities: CapabilitySet
    public var noNewPrivileges: Bool
    public var readOnlyRoot: Bool
    public var volumes: [VolumeMount]
    public var tmpfs: [String]
    public var rlimits: [ResourceLimit]
    /// What the user asked for; the caller compiles it into `seccompFilter`.
    public var seccomp: SeccompChoice
    /// The BPF program (struct sock_filter entries, 8 bytes each) installed
    /// last before exec; nil for none.
    public var seccompFilter: [UInt8]?
    public var stdio: Stdio
    /// Host stdin goes to the container (`-i`).
    public var interactive: Bool
    /// The container is killed when the process that spawned it dies
    /// (false for a container that outlives its starter).
    public var dieWithParent = true
    /// Called once the command exec'd, with the listener of its seccomp
    /// filter (a descriptor the hook owns and must close), when the filter
    /// has SCMP_ACT_NOTIFY rules for a supervisor to answer (chown in a
    /// single-id namespace: see `SeccompListenerForwarder`). nil: the filter
    /// is installed without a listener (a notifying call then fails ENOSYS).
    public var seccompListener: ((Int32) -> Void)?

    public init(rootfs: String, argv: [String], environment: [String], workdir: String = "/",
                user: ContainerUser = .root, hostname: String, network: Network = .host,
                idMappings: IDMappings, capabilities: CapabilitySet = .dockerDefault,
                noNewPrivileges: Bool = true, readOnlyRoot: Bool = false, volumes: [VolumeMount] = [],
                tmpfs: [String] = [], rlimits: [ResourceLimit] = [], seccomp: SeccompChoice = .defaultProfile,
                seccompFilter: [UInt8]? = nil, stdio: Stdio = .inherit, interactive: Bool = false) {
        self.rootfs = rootfs
        self.argv = argv
        self.environment = environment
        self.workdir = workdir
        self.user = user
        self.hostname = hostname
        self.network = network
        self.idMappings = idMappings
        self.capabilities = capabilities
        self.noNewPrivileges = noNewPrivileges
        self.readOnlyRoot = readOnlyRoot
        self.volumes = volumes
        self.tmpfs = tmpfs
        self.rlimits = rlimits
        self.seccomp = seccomp
        self.seccompFilter = seccompFilter
        self.stdio = stdio
        self.interactive = interactive
    }

    /// The PATH the command is searched in.
    public var path: String {
        environment.last(where: { $0.hasPrefix("PATH=") }).map { String($0.dropFirst(5)) } ?? SandboxSpec.defaultPath
    }

    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}
