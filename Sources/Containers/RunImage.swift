import Foundation
import OCI
import Registry
import Store

/// The image a `run IMAGE` uses: found in the store, or pulled first (as
/// Docker does, saying so on stderr), with its config and its layers' folders.
public struct RunImage {
    public var id: Digest
    public var config: ImageConfig
    /// The unpacked layers' folders, lowest first.
    public var layers: [String]

    /// Finds `name` (a reference or an image ID prefix) in the store at
    /// `storeRoot`; pulls it when it is a reference the store lacks.
    /// `progress` is where pull progress goes (stderr for `run`).
    public static func find(_ name: String, storeRoot: String, progressFD: Int32 = 2) throws -> RunImage {
        let store = try Store(location: StoreLocation(root: storeRoot, source: "run"))
        let record: ImageRecord
        do {
            record = try store.resolveImage(name)
        } catch StoreError.imageUnknown {
            let reference = try Reference(parsing: name)
            FileHandle.standardError.write(Data("Unable to find image '\(reference.withDefaultTag().familiarString)' locally\n".utf8))
            let settings = try HutchConfig.load()
            let display = ProgressDisplay(fd: progressFD)
            let puller = ImagePuller(store: store, config: settings, credentials: .standard(), display: display)
            let result = try blockingAwait { try await puller.pull(reference, platform: .host) }
            display.message("Digest: \(result.digest)")
            display.message("Status: Downloaded newer image for \(result.reference.familiarString)")
            record = try store.resolveImage(result.imageID.description)
        }
        let config = try store.config(of: record.id)
        var layers: [String] = []
        for diffID in config.rootfs.diffIDs {
            guard store.layers.contains(diffID) else {
                throw ContainerError.io("image \(name): layer \(diffID.shortHex) is missing from the store: pull or load the image again")
            }
            layers.append(store.layers.path(for: diffID))
        }
        return RunImage(id: record.id, config: config, layers: layers)
    }
}
