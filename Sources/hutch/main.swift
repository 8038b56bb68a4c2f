import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

// Bad arguments, --help and --version keep argument-parser's output and codes.
let parsed: ParsableCommand
do {
    parsed = try Hutch.parseAsRoot()
} catch {
    // Docker exits 125 on a `run` usage error, so scripts can tell it from
    // the command's own exit codes; the other commands keep argument-parser's.
    if Hutch.exitCode(for: error) == .validationFailure, CommandLine.arguments.dropFirst().first == "run" {
        FileHandleOutput.standardError.write(Hutch.fullMessage(for: error) + "\n")
        Glibc.exit(125)
    }
    Hutch.exit(withError: error)
}

// Docker prints failures as "Error: <message>" and exits 125; a command that
// has a code of its own (126, 127, a container's status) throws ExitCode or
// a CLIError that carries it.
do {
    var command = parsed
    try command.run()
} catch let exit as ExitCode {
    Glibc.exit(exit.rawValue)
} catch let error as CLIError {
    error.report()
} catch {
    // argument-parser's own errors (a subcommand's --help, validation) it reports itself.
    if String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
        Hutch.exit(withError: error)
    }
    CLIError(String(describing: error)).report()
}
