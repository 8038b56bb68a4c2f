import OCI
import Store

extension ImageBuilder {
    /// Makes a step's upper directory (written by hutch-unionfs or by a
    /// `LayerWriter`: overlay whiteouts, override_stat owners) the stage's
    /// next layer. The store writes the layer's tar once, uncompressed (so
    /// its blob digest is its diffID, as `layerDescriptor` relies on), then
    /// moves the upper itself into the store's layers: each file of the
    /// step is created once, not a second time by unpacking the tar.
    func commit(_ upper: String, state: inout StageState) throws {
        let layer = try store.commitLayer(upper: upper, owners: .current, compressionLevel: 0)
        do {
            try store.layers.adopt(upper: upper, committed: layer)
        } catch is StoreError {
            // The upper cannot be moved in (another file system, files whose
            // content lives in a lower layer, a folder it cannot walk): the tar
            // just written is the layer, unpacked as any other.
            try store.layers.unpack(blobAt: store.blobs.path(for: layer.digest), expectedDiffID: layer.diffID,
                                    ownership: .xattr)
        }
        state.image.rootfs.diffIDs.append(layer.diffID)
        state.layers.append(layer.descriptor)
    }

    /// A layer made by a build is stored as its uncompressed tar, so its blob digest is its diffID.
    func layerDescriptor(_ diffID: Digest) -> Descriptor {
        Descriptor(mediaType: MediaType.ociLayer, digest: diffID, size: store.blobs.size(of: diffID) ?? 0)
    }
}
