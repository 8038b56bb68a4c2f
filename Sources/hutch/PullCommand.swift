import ArgumentParser
import OCI
import Registry
import Store

/// `hutch pull NAME[:TAG|@DIGEST]`: fetches an image from its registry into the store.
struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download an image from a registry")

    @Option(name: .long, help: "Set platform if server is multi-platform capable (os/arch[/variant])")
    var platform: String?

    @Flag(name: [.short, .long], help: "Suppress verbose output")
    var quiet = false

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: "NAME[:TAG|@DIGEST]")
    var image: String

    func run() throws {
        let reference = try Reference(parsing: image)
        let wanted = try platform.map { try Platform(parsing: $0) }
        let (store, config) = try storeOptions.openStoreWithConfig()
        let display = ProgressDisplay(fd: quiet ? -1 : 1)
        let credentials = CredentialStore.standard()
        for warning in credentials.warnings() { FileHandleOutput.standardError.write("WARNING: \(warning)\n") }
        if reference.tag == nil && reference.digest == nil && !quiet {
            display.message("Using default tag: latest")
        }
        let puller = ImagePuller(store: store, config: config, credentials: credentials, display: display)
        let result = try blockingAwait { try await puller.pull(reference, platform: wanted) }
        if !quiet {
            display.message("Digest: \(result.digest)")
            display.message("Status: \(result.downloaded ? "Downloaded newer image" : "Image is up to date") for \(result.reference.familiarString)")
        }
        FileHandleOutput.standardOutput.write(result.reference.description + "\n")
    }
}
