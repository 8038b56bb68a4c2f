import ArgumentParser
import Store

/// Docker prints daemon refusals as "Error response from daemon: ..."; hutch
/// has no daemon and prints "Error: conflict: unable to delete ..." (same
/// words after the prefix; see docs/images.md).
struct RmiCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rmi", abstract: "Remove one or more images")

    @OptionGroup var store: StoreOptions
    @Flag(name: .shortAndLong, help: "Force removal of the image") var force = false
    @Argument(help: "Images to remove (names or IDs)") var images: [String]

    func validate() throws {
        if images.isEmpty { throw ValidationError("\"rmi\" requires at least 1 argument.") }
    }

    func run() throws {
        let s = try store.openStore()
        var failed = false
        for name in images {
            do {
                for line in try s.removeImage(name, force: force) { print(line) }
            } catch {
                FileHandleOutput.standardError.write("Error: \(error)\n")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}
