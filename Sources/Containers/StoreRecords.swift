import Foundation
import OCI
import Store

/// The Store's view of a container (`containers/<id>/container.json`, the
/// Store module's ContainerRecord), kept beside config.json so that `rmi`
/// refuses an image any container uses, running or stopped, in Docker's
/// words. Only containers made from a stored image have one.
enum StoreRecords {
    /// Writes the record for `config` with `status`; a failure only loses
    /// rmi's protection, so it is reported, not thrown.
    static func save(_ config: ContainerConfig, status: ContainerState.Status, storeRoot: String) {
        guard !config.imageID.isEmpty, let imageID = Digest(config.imageID) else { return }
        let state: ContainerRecord.State
        switch status {
        case .created: state = .created
        case .running: state = .running
        case .exited: state = .exited
        }
        do {
            let store = try Store(location: StoreLocation(root: storeRoot, source: "containers"))
            try store.containers.save(ContainerRecord(id: config.id, name: config.name, imageID: imageID,
                                                      imageName: config.imageName, created: config.created, state: state))
        } catch {
            FileHandle.standardError.write(Data("warning: cannot record container \(config.shortID) in the image store: \(error)\n".utf8))
        }
    }

    /// After a container is removed: the layers an image deleted with
    /// `rmi -f` kept for it go once no container needs them.
    static func release(imageID: String, storeRoot: String) {
        guard !imageID.isEmpty, let id = Digest(imageID) else { return }
        do { try Store.releaseImage(id, storeRoot: storeRoot) } catch {
            FileHandle.standardError.write(Data("warning: cannot remove the unused layers of image \(id.shortHex): \(error)\n".utf8))
        }
    }
}
