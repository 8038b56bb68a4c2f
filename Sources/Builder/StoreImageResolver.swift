import Foundation
import OCI
import Registry
import Store

/// Base images from the store, pulled through the registry client (with
/// the config's mirrors) when absent, or always with `--pull`.
public struct StoreImageResolver: BaseImageResolving {
    public let store: Store
    public let config: HutchConfig

    public init(store: Store, config: HutchConfig) {
        self.store = store
        self.config = config
    }

    public func resolve(_ reference: String, pull: Bool, output: BuildOutput) throws -> Digest {
        if !pull, let record = try? store.resolveImage(reference) { return record.id }
        let parsed: Reference
        do { parsed = try Reference(parsing: reference) } catch {
            throw BuildError("invalid reference format: \(reference): \(error)")
        }
        let display = ProgressDisplay(fd: output.quiet ? -1 : 1)
        let puller = ImagePuller(store: store, config: config, credentials: .standard(), display: display)
        do {
            return try blockingAwait { try await puller.pull(parsed, platform: .host) }.imageID
        } catch {
            if !pull { throw BuildError("\(reference): image not found in the store and not pulled: \(error)") }
            // --pull: a stored image still builds when the registry cannot be reached, as Docker warns and goes on.
            if let record = try? store.resolveImage(reference) {
                output.warning("could not pull \(reference), using the stored image: \(error)")
                return record.id
            }
            throw BuildError("\(error)")
        }
    }
}
