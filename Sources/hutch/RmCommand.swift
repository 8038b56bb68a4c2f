import ArgumentParser
import Containers

/// `hutch rm`: removes containers (a running one only with -f).
struct RmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more containers.")
    @OptionGroup var store: StoreOptions
    @Flag(name: .shortAndLong, help: "Force the removal of a running container (uses SIGKILL).")
    var force = false
    @Flag(name: .shortAndLong, help: "Remove anonymous volumes associated with the container (hutch has none).")
    var volumes = false
    @Argument(help: "Containers (names, IDs or ID prefixes).")
    var containers: [String]

    func run() throws {
        let manager = try store.containerManager()
        try forEachContainer(containers) { name in
            try manager.remove(try manager.repository.resolve(name), force: force)
            FileHandleOutput.standardOutput.write(name + "\n")
        }
    }
}
