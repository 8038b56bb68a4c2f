import ArgumentParser
import HostInfo
import Store

/// `hutch info`: what this machine allows this user, and what hutch will use.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show what this machine allows you (namespaces, FUSE, overlay, seccomp, cgroups) and what hutch will use.")

    @Option(name: .long, help: "Output format: text or json.") var format: String = "text"
    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let report = HostReport.gather(store: storeChoice())
        switch format {
        case "json": FileHandleOutput.standardOutput.write(try report.json() + "\n")
        case "text", "": FileHandleOutput.standardOutput.write(report.text())
        default: throw CLIError("unknown --format \"\(format)\": use text or json")
        }
    }

    /// Where the store is and why; a refused explicit root is reported, not fatal.
    func storeChoice() -> HostReport.StoreChoice {
        do {
            let location = try storeOptions.location()
            return .init(path: location.root, source: location.source, note: location.fallbackReason)
        } catch {
            let wanted = StoreLocation.resolve(rootOverride: storeOptions.root)
            return .init(path: wanted.root, source: wanted.source, note: "\(error)")
        }
    }
}
