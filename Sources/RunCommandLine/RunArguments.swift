import ArgumentParser
import Sandbox

/// The options of `hutch run`, shared by the full CLI's RunCommand and the
/// hutch launcher: both must parse a command line the same way, and the
/// launcher, which starts a plain `--rootfs` container without loading the
/// rest of hutch, must know exactly when it may.
public struct RunArguments: ParsableArguments {
    public init() {}

    @Option(name: .long, help: ArgumentHelp("Use DIR as the container's root filesystem.", valueName: "DIR"))
    public var rootfs: String?

    @Flag(name: .shortAndLong, help: "Keep STDIN open (pass it to the container).")
    public var interactive = false

    @Flag(name: .shortAndLong, help: "Allocate a pseudo-TTY.")
    public var tty = false

    @Flag(name: .long, help: "Remove the container when it exits (always the case with --rootfs).")
    public var rm = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Set an environment variable (KEY alone takes the host's value).", valueName: "KEY=VAL"))
    public var env: [String] = []

    @Option(name: .customLong("env-file"), help: ArgumentHelp("Read environment variables from a file.", valueName: "FILE"))
    public var envFile: [String] = []

    @Option(name: .shortAndLong, help: ArgumentHelp("Working directory inside the container.", valueName: "DIR"))
    public var workdir: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("User to run as (names from the rootfs's /etc/passwd, or numbers).", valueName: "USER[:GROUP]"))
    public var user: String?

    @Option(name: .long, help: "The container's host name (default: a random 12-hex-digit id).")
    public var hostname: String?

    @Flag(name: .customLong("read-only"), help: "Mount the container's root filesystem read-only.")
    public var readOnly = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Bind mount a host path (absolute, existing).", valueName: "HOST:CONTAINER[:ro]"))
    public var volume: [String] = []

    @Option(name: .long, help: ArgumentHelp("Mount a tmpfs at PATH.", valueName: "PATH"))
    public var tmpfs: [String] = []

    @Option(name: .customLong("cap-add"), help: ArgumentHelp("Add a capability (or ALL).", valueName: "CAP"))
    public var capAdd: [String] = []

    @Option(name: .customLong("cap-drop"), help: ArgumentHelp("Drop a capability (or ALL).", valueName: "CAP"))
    public var capDrop: [String] = []

    @Option(name: .customLong("security-opt"), help: ArgumentHelp("seccomp=unconfined|FILE|NAME, no-new-privileges.", valueName: "OPT"))
    public var securityOpt: [String] = []

    @Option(name: [.long, .customLong("net")], help: ArgumentHelp("Network: private (own namespace, outbound through pasta), host or none.", valueName: "MODE"))
    public var network: String?

    @Option(name: .long, help: ArgumentHelp("User namespace mode: keep-id maps you to your own uid inside.", valueName: "MODE"))
    public var userns: String?

    @Option(name: .long, help: ArgumentHelp("Set a resource limit.", valueName: "NAME=SOFT[:HARD]"))
    public var ulimit: [String] = []

    @Flag(name: .shortAndLong, help: "Run the container in the background and print its ID.")
    public var detach = false

    @Option(name: .long, help: "Assign a name to the container.")
    public var name: String?

    @Option(name: [.customShort("p"), .long], help: ArgumentHelp("Publish a container's port to the host.", valueName: "[IP:]HOSTPORT:CONTAINERPORT[/PROTO]"))
    public var publish: [String] = []

    @Flag(name: [.customShort("P"), .customLong("publish-all")], help: "Publish all exposed ports to free host ports.")
    public var publishAll = false

    @Option(name: .customLong("add-host"), help: ArgumentHelp("Add a custom host-to-IP mapping.", valueName: "HOST:IP"))
    public var addHost: [String] = []

    @Option(name: .long, help: ArgumentHelp("Set a custom DNS server.", valueName: "IP"))
    public var dns: [String] = []

    @Option(name: [.customShort("m"), .long], help: ArgumentHelp("Memory limit (cgroup v2 delegation needed).", valueName: "BYTES"))
    public var memory: String?

    @Option(name: .long, help: ArgumentHelp("Number of CPUs (cgroup v2 delegation needed).", valueName: "N"))
    public var cpus: String?

    @Option(name: .customLong("pids-limit"), help: ArgumentHelp("Tune the container's pids limit (cgroup v2 delegation needed).", valueName: "N"))
    public var pidsLimit: Int?

    @Option(name: .customLong("stop-signal"), help: "Signal to stop the container.")
    public var stopSignal: String?

    @Option(name: .long, help: ArgumentHelp("Overwrite the image's ENTRYPOINT (\"\" clears it).", valueName: "CMD"))
    public var entrypoint: String?

    @Option(name: [.customShort("l"), .long], help: ArgumentHelp("Set metadata on a container.", valueName: "KEY=VALUE"))
    public var label: [String] = []

    /// Whether the run needs a container record (an image, `-d`, a name,
    /// published ports, a private network, cgroup limits...): the Containers
    /// path. A plain `--rootfs` run goes straight to the Sandbox module.
    public var needsContainerRecord: Bool { asksForRecord || hasCgroupLimits }

    /// `--memory`, `--cpus` or `--pids-limit`: only the Containers path makes
    /// the cgroup that applies them (or says clearly why it cannot), so a
    /// `--rootfs` run with one of them never takes the plain path, which
    /// would ignore them.
    public var hasCgroupLimits: Bool { memory != nil || cpus != nil || pidsLimit != nil }

    /// An option that is about the container itself, not only its process.
    public var asksForRecord: Bool {
        detach || rootfs == nil || !publish.isEmpty || network == "private" || name != nil || entrypoint != nil
    }

    /// A foreground `--rootfs` run that takes the Containers path only for
    /// its cgroup: it behaves as the plain run it would otherwise be (the
    /// host's network by default, nothing left behind).
    public var isPlainRootfsRunWithLimits: Bool { !asksForRecord && hasCgroupLimits }

    /// What the Sandbox module takes from these options.
    public var sandboxOptions: RunOptions {
        var options = RunOptions()
        options.env = env
        options.envFiles = envFile
        options.workdir = workdir
        options.user = user
        options.hostname = hostname
        options.readOnly = readOnly
        options.volumes = volume
        options.tmpfs = tmpfs
        options.capAdd = capAdd
        options.capDrop = capDrop
        options.securityOpts = securityOpt
        options.network = network
        options.userns = userns
        options.ulimits = ulimit
        options.interactive = interactive
        options.tty = tty
        return options
    }
}
