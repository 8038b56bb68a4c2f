import ArgumentParser
import Store

/// `hutch image ...`: the same commands as the top-level ones, Docker's names.
struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Manage images",
        subcommands: [ImageLs.self, ImageRm.self, ImagePrune.self, ImageTag.self, ImageInspect.self,
                      ImageHistory.self, ImageImport.self, ImageSave.self, ImageLoad.self])
}

struct ImageLs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List images", aliases: ["list"])
    @OptionGroup var command: ImagesCommand
    func run() throws { try command.run() }
}

struct ImageRm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more images")
    @OptionGroup var command: RmiCommand
    func run() throws { try command.run() }
}

struct ImageTag: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE")
    @OptionGroup var command: TagCommand
    func run() throws { try command.run() }
}

struct ImageInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more images")
    @OptionGroup var options: InspectOptions
    func run() throws { try Inspection.run(options, kinds: [.image]) }
}

struct ImageHistory: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Show the history of an image")
    @OptionGroup var command: HistoryCommand
    func run() throws { try command.run() }
}

struct ImageImport: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Import the contents from a tarball to create a filesystem image")
    @OptionGroup var command: ImportCommand
    func run() throws { try command.run() }
}

struct ImageSave: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "save", abstract: "Save one or more images to a tar archive")
    @OptionGroup var command: SaveCommand
    func run() throws { try command.run() }
}

struct ImageLoad: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load", abstract: "Load an image from a tar archive or STDIN")
    @OptionGroup var command: LoadCommand
    func run() throws { try command.run() }
}

struct ImagePrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused images")
    @OptionGroup var store: StoreOptions
    @Flag(name: .shortAndLong, help: "Remove all unused images, not just dangling ones") var all = false
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation") var force = false

    func run() throws {
        if !force {
            guard confirm(all ? "WARNING! This will remove all images without at least one container associated to them."
                              : "WARNING! This will remove all dangling images.") else { return }
        }
        let (lines, reclaimed) = try store.openStore().pruneImages(all: all)
        var out = lines.isEmpty ? "" : "Deleted Images:\n" + lines.map { $0 + "\n" }.joined() + "\n"
        out += "Total reclaimed space: \(DockerFormat.size(reclaimed))\n"
        FileHandleOutput.standardOutput.write(out)
    }
}
