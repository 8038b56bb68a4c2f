import ArgumentParser
import Containers

/// `hutch ps`: the containers, as `docker ps` lists them.
struct PsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers.",
                                                    aliases: ["ls"])
    @OptionGroup var store: StoreOptions
    @Flag(name: .shortAndLong, help: "Show all containers (default shows just running).")
    var all = false
    @Flag(name: .shortAndLong, help: "Only display container IDs.")
    var quiet = false
    @Option(name: .shortAndLong, help: ArgumentHelp("Filter output (status=, name=, id=, exited=, label=, ancestor=).", valueName: "filter"))
    var filter: [String] = []
    @Option(name: .long, help: "Format output using a Go-like template ({{.ID}}, {{.Names}}, ...; `table` for a header).")
    var format: String?
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output.")
    var noTrunc = false

    func run() throws {
        let manager = try store.containerManager()
        let filter = try ContainerFilter(self.filter)
        // A status filter shows stopped containers too, as in Docker.
        let showAll = all || self.filter.contains { $0.hasPrefix("status=") || $0.hasPrefix("exited=") }
        let containers = manager.repository.all().filter { (showAll || $0.state.status == .running) && filter.matches($0) }
        let listings = containers.map { ContainerListing($0, truncate: !noTrunc) }
        if quiet {
            FileHandleOutput.standardOutput.write(listings.map { $0.id + "\n" }.joined())
            return
        }
        FileHandleOutput.standardOutput.write(DockerFormat.render(format: format ?? ContainerListing.defaultFormat,
                                                                  headers: ContainerListing.headers,
                                                                  rows: listings.map(\.fields)))
    }
}
