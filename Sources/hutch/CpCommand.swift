import ArgumentParser
import Containers

/// `hutch cp`: copies files between a container and the host (Containers.ContainerCopy).
struct CpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp",
        abstract: "Copy files/folders between a container and the local filesystem.",
        discussion: "hutch cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\nhutch cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH\nSee docs/containers.md.")

    @OptionGroup var store: StoreOptions
    @Flag(name: [.customShort("L"), .customLong("follow-link")], help: "Always follow a symbolic link given as SRC_PATH.")
    var followLink = false
    @Flag(name: [.short, .customLong("archive")], help: "Accepted: ownership is always the container's root inside, yours outside.")
    var archive = false
    @Argument(help: "CONTAINER:SRC_PATH or SRC_PATH or -") var source: String
    @Argument(help: "DEST_PATH or CONTAINER:DEST_PATH or -") var destination: String

    func run() throws {
        let manager = try store.containerManager()
        do {
            try ContainerCopy.copy(from: .parse(source), to: .parse(destination), repository: manager.repository,
                                   followLink: followLink)
        } catch let error as ContainerError {
            throw CLIError("\(error)", exitCode: 1)
        }
    }
}
