import ArgumentParser
import Containers
import Foundation
import Sandbox

/// `hutch exec [OPTIONS] CONTAINER COMMAND [ARG...]`: runs a command in a
/// running container (Containers.ContainerExec).
struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Execute a command in a running container.",
        discussion: "See docs/containers.md. Exits with the command's exit code; 126 when it cannot be run, 127 when it is not found.")

    @OptionGroup var store: StoreOptions
    @Flag(name: .shortAndLong, help: "Detached mode: run the command in the background.")
    var detach = false
    @Flag(name: .shortAndLong, help: "Keep STDIN open.")
    var interactive = false
    @Flag(name: .shortAndLong, help: "Allocate a pseudo-TTY.")
    var tty = false
    @Option(name: .shortAndLong, help: ArgumentHelp("Set an environment variable.", valueName: "KEY=VAL"))
    var env: [String] = []
    @Option(name: .customLong("env-file"), help: ArgumentHelp("Read environment variables from a file.", valueName: "FILE"))
    var envFile: [String] = []
    @Option(name: .shortAndLong, help: ArgumentHelp("Working directory inside the container.", valueName: "DIR"))
    var workdir: String?
    @Option(name: .shortAndLong, help: ArgumentHelp("User to run as.", valueName: "USER[:GROUP]"))
    var user: String?
    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The container, then the command and its arguments.", valueName: "CONTAINER COMMAND"))
    var arguments: [String] = []

    func run() throws {
        guard arguments.count >= 2 else {
            throw CLIError("\"hutch exec\" requires at least 2 arguments: hutch exec [OPTIONS] CONTAINER COMMAND [ARG...]")
        }
        let manager = try store.containerManager()
        let host: (String) -> String? = { ProcessInfo.processInfo.environment[$0] }
        var request = ExecRequest(command: Array(arguments.dropFirst()))
        for file in envFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw CLIError("open \(file): no such file or directory") }
            request.environment += try EnvironmentOption.parseFile(text, path: file, host: host)
        }
        for e in env { if let v = try EnvironmentOption.resolve(e, host: host) { request.environment.append(v) } }
        request.workdir = workdir
        request.user = user
        request.tty = tty
        request.interactive = interactive
        request.detach = detach
        let container: Container
        do { container = try manager.repository.resolve(arguments[0]) } catch {
            throw CLIError("\(error)", exitCode: 1)
        }
        do {
            let code = try ContainerExec.run(request, in: container, repository: manager.repository) {
                FileHandleOutput.standardError.write($0 + "\n")
            }
            throw ExitCode(code)
        } catch let error as ExecError {
            throw CLIError(error.message, exitCode: error.exitCode)
        } catch let error as ContainerError {
            throw CLIError("\(error)", exitCode: 1)
        }
    }
}
