import ArgumentParser
import Sandbox

/// `hutch run --rootfs DIR [OPTIONS] COMMAND [ARG...]`: parses Docker's
/// options and hands them to the Sandbox module.
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

    @Option(name: [.long, .customLong("net")], help: ArgumentHelp("Network: none or host.", valueName: "MODE"))
    var network: String?

    @Option(name: .long, help: ArgumentHelp("User namespace mode: keep-id maps you to your own uid inside.", valueName: "MODE"))
    var userns: String?

    @Option(name: .long, help: ArgumentHelp("Set a resource limit.", valueName: "NAME=SOFT[:HARD]"))
    var ulimit: [String] = []

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The command and its arguments.", valueName: "COMMAND"))
    var command: [String] = []

    func run() throws {
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
            let spec = try SandboxSpec.forRootfs(rootfs, command: command, options: options)
            throw ExitCode(try Sandbox.run(spec))
        } catch let error as SandboxError {
            throw CLIError(error.description, exitCode: error.exitCode)
        }
    }
}
