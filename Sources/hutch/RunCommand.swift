import ArgumentParser
import Containers
import Registry
import Sandbox
import RunCommandLine
import SandboxRun
import Seccomp

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

    // Declared in SandboxRun, which the launcher shares: see RunArguments.
    @OptionGroup var options: RunArguments

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
        // config.toml's seccomp profile is the default below --security-opt;
        // a container records it, so start and exec keep the one it ran with.
        var options = self.options
        if !SecurityOptions.choosesSeccomp(options.securityOpt) {
            options.securityOpt = SecurityOptions.addingDefaultSeccomp(try HutchConfig.load().seccompProfile,
                                                                        to: options.securityOpt)
        }
        if options.needsContainerRecord {
            throw ExitCode(try runContainer(options))
        }
        guard let rootfs = options.rootfs else {
            throw CLIError("hutch run needs --rootfs DIR: hutch run --rootfs DIR [OPTIONS] COMMAND [ARG...]")
        }
        do {
            throw ExitCode(try RootfsRun.run(rootfs: rootfs, command: command, options: options.sandboxOptions,
                                             filter: { try Seccomp.seccompFilter(for: $0, target: $1) },
                                             warn: { FileHandleOutput.standardError.write($0 + "\n") }))
        } catch let error as SandboxError {
            throw CLIError(RootfsRun.failure(error).message, exitCode: error.exitCode)
        }
    }
}
