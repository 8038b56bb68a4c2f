import ArgumentParser
import Containers

/// `hutch logs`: what a container wrote, from its json-file log.
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Fetch the logs of a container.")
    @OptionGroup var store: StoreOptions
    @Flag(name: .shortAndLong, help: "Follow log output.")
    var follow = false
    @Option(name: [.customShort("n"), .long], help: "Number of lines to show from the end of the logs (or \"all\").")
    var tail = "all"
    @Flag(name: .shortAndLong, help: "Show timestamps.")
    var timestamps = false
    @Option(name: .long, help: "Show logs since a timestamp (2013-01-02T13:23:37Z) or relative (42m).")
    var since: String?
    @Option(name: .long, help: "Show logs before a timestamp or relative time.")
    var until: String?
    @Argument(help: "The container (name, ID or ID prefix).")
    var container: String

    func run() throws {
        let manager = try store.containerManager()
        let c = try manager.repository.resolve(container)
        var options = LogReader.Options()
        options.follow = follow
        options.tail = try LogReader.parseTail(tail)
        options.timestamps = timestamps
        if let since {
            guard let d = HumanTime.parseSince(since) else { throw CLIError("invalid value for \"since\": \(since)") }
            options.since = d
        }
        if let until {
            guard let d = HumanTime.parseSince(until) else { throw CLIError("invalid value for \"until\": \(until)") }
            options.until = d
        }
        let reader = LogReader(path: manager.repository.logPath(c.id), options: options)
        reader.stream(stillWriting: {
            guard let now = try? manager.repository.load(c.id) else { return false }
            return now.state.status == .running || manager.repository.monitorAlive(c.id)
        }) { entry in
            let out: FileHandleOutput = entry.stream == "stderr" ? .standardError : .standardOutput
            out.write(reader.render(entry))
        }
    }
}
