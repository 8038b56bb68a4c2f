import ArgumentParser
import Containers
import Sandbox

/// `hutch run [OPTIONS] IMAGE [COMMAND] [ARG...]` (or `--rootfs DIR
/// COMMAND...`): parses Docker's options; a plain `--rootfs` run goes
/// straight to the Sandbox module, the rest through Containers (a record,
/// a monitor for `-d`, the image's layers, pasta).
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command in a new container.",
        discussion: "See docs/run.md. Exits with the command's exit code, 125 when hutch fails, 126 when the command cannot be run, 127 when it is not found."
    )

    @Option(name: .long, help: ArgumentHelp("Use DIR as the container's root filesystem.", valueName: "DIR"))
    var rootfs: String?

    @Flag(name: .shortAndLong, help: "Keep STDIN open (pass it to the container).")
    var interactive = false

    @Flag(name: .shortAndLong, help: "Allocate a pseudo-TTY.")
    var tty = false

    @Flag(name: .long, help: "Remove the container when it exits (always the case with --rootfs).")
    var rm = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Set an environment variable (KEY alone takes the host's value).", valueName: "KEY=VAL"))
    var env: [String] = []

    @Option(name: .customLong("env-file"), help: ArgumentHelp("Read environment variables from a file.", valueName: "FILE"))
    var envFile: [String] = []

    @Option(name: .shortAndLong, help: ArgumentHelp("Working directory inside the container.", valueName: "DIR"))
    var workdir: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("User to run as (names from the rootfs's /etc/passwd, or numbers).", valueName: "USER[:GROUP]"))
    var user: String?

    @Option(name: .long, help: "The container's host name (default: a random 12-hex-digit id).")
    var hostname: String?

    @Flag(name: .customLong("read-only"), help: "Mount the container's root filesystem read-only.")
    var readOnly = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Bind mount a host path (absolute, existing).", valueName: "HOST:CONTAINER[:ro]"))
    var volume: [String] = []

    @Option(name: .long, help: ArgumentHelp("Mount a tmpfs at PATH.", valueName: "PATH"))
    var tmpfs: [String] = []

    @Option(name: .customLong("cap-add"), help: ArgumentHelp("Add a capability (or ALL).", valueName: "CAP"))
    var capAdd: [String] = []

    @Option(name: .customLong("cap-drop"), help: ArgumentHelp("Drop a capability (or ALL).", valueName: "CAP"))
    var capDrop: [String] = []

    @Option(name: .customLong("security-opt"), help: ArgumentHelp("seccomp=unconfined|FILE|NAME, no-new-privileges.", valueName: "OPT"))
    var securityOpt: [String] = []

    @Option(name: [.long, .customLong("net")], help: ArgumentHelp("Network: private (own namespace, outbound through pasta), host or none.", valueName: "MODE"))
    var network: String?

    @Option(name: .long, help: ArgumentHelp("User namespace mode: keep-id maps you to your own uid inside.", valueName: "MODE"))
    var userns: String?

    @Option(name: .long, help: ArgumentHelp("Set a resource limit.", valueName: "NAME=SOFT[:HARD]"))
    var ulimit: [String] = []

    @Flag(name: .shortAndLong, help: "Run the container in the background and print its ID.")
    var detach = false

    @Option(name: .long, help: "Assign a name to the container.")
    var name: String?

    @Option(name: [.customShort("p"), .long], help: ArgumentHelp("Publish a container's port to the host.", valueName: "[IP:]HOSTPORT:CONTAINERPORT[/PROTO]"))
    var publish: [String] = []

    @Flag(name: [.customShort("P"), .customLong("publish-all")], help: "Publish all exposed ports to free host ports.")
    var publishAll = false

    @Option(name: .customLong("add-host"), help: ArgumentHelp("Add a custom host-to-IP mapping.", valueName: "HOST:IP"))
    var addHost: [String] = []

    @Option(name: .long, help: ArgumentHelp("Set a custom DNS server.", valueName: "IP"))
    var dns: [String] = []

    @Option(name: [.customShort("m"), .long], help: ArgumentHelp("Memory limit (cgroup v2 delegation needed).", valueName: "BYTES"))
    var memory: String?

    @Option(name: .long, help: ArgumentHelp("Number of CPUs (cgroup v2 delegation needed).", valueName: "N"))
    var cpus: String?

    @Option(name: .customLong("pids-limit"), help: ArgumentHelp("Tune the container's pids limit (cgroup v2 delegation needed).", valueName: "N"))
    var pidsLimit: Int?

    @Option(name: .customLong("stop-signal"), help: "Signal to stop the container.")
    var stopSignal: String?

    @Option(name: .long, help: ArgumentHelp("Overwrite the image's ENTRYPOINT (\"\" clears it).", valueName: "CMD"))
    var entrypoint: String?

    @Option(name: [.customShort("l"), .long], help: ArgumentHelp("Set metadata on a container.", valueName: "KEY=VALUE"))
    var label: [String] = []

    @OptionGroup var store: StoreOptions

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The image (without --rootfs), then the command and its arguments.", valueName: "IMAGE [COMMAND]"))
    var command: [String] = []

    func run() throws {
        // Passthrough capture takes what argument-parser did not know before
        // the command too: --help, or an unknown option.
        if let first = command.first, first.hasPrefix("-") {
            if first == "--help" || first == "-h" { throw CleanExit.helpRequest(self) }
            throw CLIError("unknown flag: \(first) (see 'hutch run --help')")
        }
        if detach || rootfs == nil || !publish.isEmpty || network == "private" || name != nil || entrypoint != nil {
            throw ExitCode(try runContainer())
        }
        guard let rootfs else {
            throw CLIError("hutch run needs --rootfs DIR: hutch run --rootfs DIR [OPTIONS] COMMAND [ARG...]")
        }
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
        do {
            var spec = try SandboxSpec.forRootfs(rootfs, command: command, options: options)
            if let warning = try spec.compileSeccompFilter() { FileHandleOutput.standardError.write(warning + "\n") }
            throw ExitCode(try Sandbox.run(spec))
        } catch let error as SandboxError {
            throw CLIError(error.description, exitCode: error.exitCode)
        }
    }
}
