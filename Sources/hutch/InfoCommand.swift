import ArgumentParser
import HostInfo

/// `hutch info`: what this machine allows this user, and what hutch will use.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show what this machine allows you (namespaces, FUSE, overlay, seccomp, cgroups) and what hutch will use.")

    @Option(name: .long, help: "Output format: text or json.") var format: String = "text"

    func run() throws {
        let report = HostReport.gather()
        switch format {
        case "json": FileHandleOutput.standardOutput.write(try report.json() + "\n")
        case "text", "": FileHandleOutput.standardOutput.write(report.text())
        default: throw CLIError("unknown --format \"\(format)\": use text or json")
        }
    }
}
