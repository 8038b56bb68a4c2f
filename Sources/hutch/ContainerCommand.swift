import ArgumentParser
import Containers
import Foundation

/// `hutch container ...`: the container commands grouped, as in Docker.
struct ContainerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container", abstract: "Manage containers.",
        subcommands: [PsCommand.self, ContainerInspectCommand.self, ContainerPruneCommand.self, RmCommand.self,
                      StopCommand.self, StartCommand.self, RestartCommand.self, KillCommand.self, LogsCommand.self,
                      WaitCommand.self, PortCommand.self])
}

/// `hutch container inspect`: Docker's JSON for containers only.
struct ContainerInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more containers.")
    @OptionGroup var options: InspectOptions
    func run() throws { try Inspection.run(options, kinds: [.container]) }
}

/// `hutch container prune`: removes every stopped container.
struct ContainerPruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove all stopped containers.")
    @OptionGroup var store: StoreOptions
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation.")
    var force = false

    func run() throws {
        if !force {
            guard confirm("WARNING! This will remove all stopped containers.") else { return }
        }
        let (deleted, reclaimed) = try store.containerManager().pruneStopped()
        var out = ""
        if !deleted.isEmpty { out += "Deleted Containers:\n" + deleted.map { $0 + "\n" }.joined() + "\n" }
        out += "Total reclaimed space: \(DockerFormat.size(reclaimed))\n"
        FileHandleOutput.standardOutput.write(out)
    }
}
