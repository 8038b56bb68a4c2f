import Foundation
import OCI

/// One `--change` instruction of `hutch import` (a Dockerfile line that
/// only changes the config: CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE,
/// LABEL, VOLUME, STOPSIGNAL).
public enum ImageChange {
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Applies `line` to `config`.
    public static func apply(_ line: String, to config: inout ContainerConfig) throws {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        let keyword = trimmed.prefix { !$0.isWhitespace }.uppercased()
        let rest = trimmed.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces)
        switch keyword {
        case "CMD": config.cmd = try command(rest, keyword)
        case "ENTRYPOINT": config.entrypoint = try command(rest, keyword)
        case "WORKDIR": config.workingDir = rest
        case "USER": config.user = rest
        case "STOPSIGNAL": config.stopSignal = rest
        case "ENV":
            var env = config.env ?? []
            for (k, v) in try pairs(rest, keyword) {
                env.removeAll { $0.hasPrefix(k + "=") }
                env.append(k + "=" + v)
            }
            config.env = env
        case "LABEL":
            var labels = config.labels ?? [:]
            for (k, v) in try pairs(rest, keyword) { labels[k] = v }
            config.labels = labels
        case "EXPOSE":
            var ports = config.exposedPorts ?? [:]
            for p in rest.split(separator: " ") { ports[p.contains("/") ? String(p) : p + "/tcp"] = EmptyObject() }
            config.exposedPorts = ports
        case "VOLUME":
            var volumes = config.volumes ?? [:]
            let paths = rest.hasPrefix("[") ? try json(rest, keyword) : rest.split(separator: " ").map(String.init)
            for p in paths { volumes[p] = EmptyObject() }
            config.volumes = volumes
        default:
            throw Invalid(description: "\(keyword) is not a valid change command")
        }
    }

    /// JSON form `["a","b"]`, else shell form run by /bin/sh -c.
    static func command(_ text: String, _ keyword: String) throws -> [String] {
        if text.hasPrefix("[") { return try json(text, keyword) }
        return ["/bin/sh", "-c", text]
    }

    static func json(_ text: String, _ keyword: String) throws -> [String] {
        guard let list = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
            throw Invalid(description: "\(keyword) \(text): not a JSON array of strings")
        }
        return list
    }

    /// `k=v k2="v 2"` or the old `k v` form.
    static func pairs(_ text: String, _ keyword: String) throws -> [(String, String)] {
        guard !text.isEmpty else { throw Invalid(description: "\(keyword) needs at least one argument") }
        if !text.prefix(while: { !$0.isWhitespace }).contains("=") {
            let key = String(text.prefix(while: { !$0.isWhitespace }))
            return [(key, text.dropFirst(key.count).trimmingCharacters(in: .whitespaces))]
        }
        var result: [(String, String)] = []
        var word = ""
        var quote: Character?
        var words: [String] = []
        for c in text {
            if let q = quote { if c == q { quote = nil } else { word.append(c) }; continue }
            if c == "\"" || c == "'" { quote = c; continue }
            if c.isWhitespace { if !word.isEmpty { words.append(word); word = "" }; continue }
            word.append(c)
        }
        if !word.isEmpty { words.append(word) }
        for w in words {
            guard let eq = w.firstIndex(of: "=") else { throw Invalid(description: "\(keyword) \(text): expected key=value") }
            result.append((String(w[..<eq]), String(w[w.index(after: eq)...])))
        }
        return result
    }
}

extension Store {
    /// `hutch import`: a root filesystem tarball (plain, gzip or zstd) read
    /// from `fd` becomes a one-layer image. Returns the image ID.
    public func importImage(from fd: Int32, source: String, changes: [String] = [], message: String? = nil,
                            tag: Reference? = nil) throws -> Digest {
        var container = ContainerConfig()
        for c in changes { try ImageChange.apply(c, to: &container) }
        if container.env == nil {
            container.env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        }
        let writer = try blobs.beginWrite()
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 17)
        do {
            while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n < 0 { if errno == EINTR { continue }; throw StoreError.io("cannot read", path: source, errno: errno) }
                if n == 0 { break }
                if head.count < 4 { head += buffer[0..<min(n, 4 - head.count)] }
                try buffer.withUnsafeBytes { try writer.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            }
        } catch { writer.abort(); throw error }
        let journal = try AdditionJournal(directory: journalDirectory)
        defer { journal.finish() }
        var added = Set<Digest>(), addedLayers: [Digest] = []
        do {
            if !blobs.contains(writer.digestSoFar) {
                try journal.addingBlob(writer.digestSoFar)
                added.insert(writer.digestSoFar)
            }
            return try recordImport(layerBlob: try writer.commit(), head: head, container: container, source: source,
                                    message: message, tag: tag, journal: journal, addedLayers: &addedLayers)
        } catch {
            // A failed import (a full disk, say) leaves nothing behind.
            removeUnreferenced(blobs: added, layers: addedLayers)
            throw error
        }
    }

    private func recordImport(layerBlob layerDigest: Digest, head: [UInt8], container: ContainerConfig, source: String,
                              message: String?, tag: Reference?, journal: AdditionJournal,
                              addedLayers: inout [Digest]) throws -> Digest {
        let mediaType: String
        if head.starts(with: [0x1f, 0x8b]) {
            mediaType = MediaType.ociLayerGzip
        } else if head.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) {
            mediaType = MediaType.ociLayerZstd
        } else {
            mediaType = MediaType.ociLayer
        }
        var fresh: Digest?
        let layer = try layers.unpack(blobAt: blobs.path(for: layerDigest), lock: lock) { diffID in
            try journal.addingLayer(diffID)
            fresh = diffID
        }
        if let fresh { addedLayers.append(fresh) }
        let now = formatRFC3339(Date())
        let config = ImageConfig(created: now, architecture: Platform.host.architecture, config: container,
                                 rootfs: RootFS(diffIDs: [layer.diffID]),
                                 history: [HistoryEntry(created: now, createdBy: "", comment: message ?? "Imported from \(source)")])
        let configData = try config.encoded()
        let configDigest = try blobs.put(configData)
        let manifest = ImageManifest(
            config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: Int64(configData.count)),
            layers: [Descriptor(mediaType: mediaType, digest: layerDigest, size: blobs.size(of: layerDigest) ?? 0)])
        try addImage(manifest: manifest, tags: tag.map { [$0] } ?? [])
        return configDigest
    }
}
