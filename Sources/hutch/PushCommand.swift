import ArgumentParser
import OCI
import Registry
import Store

/// `hutch push NAME[:TAG]`: uploads an image of the store to its registry.
struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Upload an image to a registry")

    @Flag(name: [.short, .long], help: "Suppress verbose output")
    var quiet = false

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: "NAME[:TAG]")
    var image: String

    func run() throws {
        let reference = try Reference(parsing: image)
        if reference.digest != nil {
            throw CLIError("cannot push a digest reference: push a tag (NAME[:TAG])")
        }
        if reference.tag == nil && !quiet {
            FileHandleOutput.standardOutput.write("Using default tag: latest\n")
        }
        let (store, config) = try storeOptions.openStoreWithConfig()
        let credentials = CredentialStore.standard()
        for warning in credentials.warnings() { FileHandleOutput.standardError.write("WARNING: \(warning)\n") }
        let pusher = ImagePusher(store: store, config: config, credentials: credentials,
                                 display: ProgressDisplay(fd: quiet ? -1 : 1))
        let result = try blockingAwait { try await pusher.push(reference) }
        if quiet { FileHandleOutput.standardOutput.write(result.reference.description + "\n") }
    }
}
