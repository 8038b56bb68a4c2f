import Foundation
import OCI
import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// A layer written by `commitLayer`: the blob in the store and what a
/// manifest and a config need to name it.
public struct CommittedLayer: Codable, Hashable, Sendable {
    /// sha256 of the compressed blob (its name in the blob store).
    public var digest: Digest
    /// sha256 of the uncompressed tar (the config's rootfs.diff_ids entry).
    public var diffID: Digest
    /// Bytes of the compressed blob.
    public var size: Int64
    public var mediaType: String
    /// Bytes of regular-file content, and entries written (markers excluded):
    /// what a `LayerRecord` holds.
    public var contentSize: Int64
    public var entries: Int
    /// Paths left out because a tar cannot hold them (sockets).
    public var skipped: [String]

    /// The manifest's entry for this layer.
    public var descriptor: Descriptor { Descriptor(mediaType: mediaType, digest: digest, size: size) }
}

extension Store {
    /// Writes the changes in `upper` (a kernel-overlay upper directory, or a
    /// layer folder of this store) as an OCI layer (tar+gzip) into the blob
    /// store. See docs/storage.md, "Committing a layer", for the format.
    ///
    /// - owners: how on-disk owners become the layer's (see `OwnerMapping`).
    /// - excluding: paths relative to `upper` left out with all they hold
    ///   (a builder's own bookkeeping).
    /// - compressionLevel: gzip's 1...9; 0 stores the tar as it is (its
    ///   digest is then its diffID), as a builder's local layers are kept.
    public func commitLayer(upper: String, owners: OwnerMapping = .current, excluding: Set<String> = [],
                            compressionLevel: Int = 6) throws -> CommittedLayer {
        let writer = try blobs.beginWrite()
        do {
            let stream = try LayerStream(blob: writer, compressionLevel: compressionLevel)
            let walker = UpperWalker(stream: stream, owners: owners, excluding: excluding, dataRoot: layers.directory)
            try walker.walk(root: upper)
            let diffID = try stream.finish()
            let size = writer.offset
            let digest = try writer.commit()
            return CommittedLayer(digest: digest, diffID: diffID, size: size,
                                  mediaType: compressionLevel > 0 ? MediaType.ociLayerGzip : MediaType.ociLayer,
                                  contentSize: walker.contentSize, entries: walker.entries, skipped: walker.skipped)
        } catch {
            writer.abort()
            throw error
        }
    }
}

/// tar (hashed as it passes, for the diffID) -> gzip -> blob. libarchive
/// writes both: a pax tar archive whose output callback feeds a "raw"
/// archive with a gzip filter. At compression level 0 the tar goes to the
/// blob as it is.
final class LayerStream {
    let tar: OpaquePointer
    let gzip: OpaquePointer?
    let blob: BlobWriter
    var hasher = DigestHasher()
    var failure: Error?
    private var closed = false

    init(blob: BlobWriter, compressionLevel: Int) throws {
        self.blob = blob
        tar = archive_write_new()
        gzip = compressionLevel > 0 ? archive_write_new() : nil
        let context = Unmanaged.passUnretained(self).toOpaque()
        if let gzip { try LayerStream.openGzip(gzip, context: context, level: compressionLevel) }

        archive_write_set_format_pax_restricted(tar)
        // Docker and the Go tar reader read xattrs from SCHILY.xattr.* records.
        archive_write_set_format_option(tar, "pax", "xattrheader", "SCHILY")
        archive_write_set_bytes_per_block(tar, 10240)
        archive_write_set_bytes_in_last_block(tar, 1)
        guard archive_write_open(tar, context, nil, { _, context, buffer, length in
            let me = Unmanaged<LayerStream>.fromOpaque(context!).takeUnretainedValue()
            let bytes = UnsafeRawBufferPointer(start: buffer, count: length)
            me.hasher.update(bytes)
            guard let gzip = me.gzip else {
                do { try me.blob.write(bytes) } catch {
                    me.failure = error
                    return -1
                }
                return length
            }
            let n = archive_write_data(gzip, buffer, length)
            if n < 0 {
                if me.failure == nil { me.failure = LayerStream.error(gzip, "cannot compress the layer") }
                return -1
            }
            return length
        }, nil) == ARCHIVE_OK else { throw LayerStream.error(tar, "cannot start the layer's tar stream") }
    }

    private static func openGzip(_ gzip: OpaquePointer, context: UnsafeMutableRawPointer, level compressionLevel: Int) throws {
        archive_write_add_filter_gzip(gzip)
        // No timestamp in the gzip header: the same tree gives the same digest.
        archive_write_set_filter_option(gzip, "gzip", "timestamp", nil)
        archive_write_set_filter_option(gzip, "gzip", "compression-level", String(max(1, min(9, compressionLevel))))
        archive_write_set_format_raw(gzip)
        archive_write_set_bytes_per_block(gzip, 0)
        archive_write_set_bytes_in_last_block(gzip, 1)
        guard archive_write_open(gzip, context, nil, { _, context, buffer, length in
            let me = Unmanaged<LayerStream>.fromOpaque(context!).takeUnretainedValue()
            do { try me.blob.write(UnsafeRawBufferPointer(start: buffer, count: length)) } catch {
                me.failure = error
                return -1
            }
            return length
        }, nil) == ARCHIVE_OK else { throw LayerStream.error(gzip, "cannot start the layer's gzip stream") }
        let body = archive_entry_new()!
        defer { archive_entry_free(body) }
        archive_entry_set_pathname(body, "layer.tar")
        archive_entry_set_filetype(body, AE_IFREG)
        guard archive_write_header(gzip, body) == ARCHIVE_OK else { throw LayerStream.error(gzip, "cannot start the layer's gzip stream") }
    }

    deinit {
        archive_write_free(tar)
        if let gzip { archive_write_free(gzip) }
    }

    static func error(_ a: OpaquePointer, _ what: String) -> StoreError {
        let message = archive_error_string(a).map { String(cString: $0) } ?? "unknown error"
        return StoreError.io(what + ":", path: message, errno: archive_errno(a))
    }

    /// The error that made a libarchive call fail: ours from a callback, else libarchive's.
    func failed(_ what: String) -> Error { failure ?? LayerStream.error(tar, what) }

    func writeHeader(_ entry: OpaquePointer, path: String) throws {
        let r = archive_write_header(tar, entry)
        if r < ARCHIVE_WARN || failure != nil { throw failed("cannot write tar header for \(path)") }
    }

    func writeData(_ bytes: UnsafeRawBufferPointer, path: String) throws {
        if bytes.isEmpty { return }
        if archive_write_data(tar, bytes.baseAddress, bytes.count) < 0 || failure != nil {
            throw failed("cannot write \(path) into the layer")
        }
    }

    /// Ends the tar and the gzip streams; returns the diffID.
    func finish() throws -> Digest {
        closed = true
        if archive_write_close(tar) != ARCHIVE_OK || failure != nil { throw failed("cannot finish the layer's tar stream") }
        if let gzip, archive_write_close(gzip) != ARCHIVE_OK || failure != nil {
            throw failure ?? LayerStream.error(gzip, "cannot finish the layer's gzip stream")
        }
        return hasher.finalize()
    }
}
