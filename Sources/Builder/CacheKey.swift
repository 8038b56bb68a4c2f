import OCI
#if canImport(Glibc)
import Glibc
#endif

/// The cache key of one build step: a chain, each key covering its
/// parent's, so a step is reused only when everything before it was.
/// What each instruction puts in:
/// - FROM: the base image's ID (its config digest) or the stage's result;
/// - metadata and RUN: the instruction after expansion, and for RUN the
///   shell, network and mounts, and the ARG values in scope
///   (as Docker's `|N NAME=value` prefix does);
/// - COPY and ADD: their flags and destination, the working folder, and
///   the checksum of the sources' names, modes, owners and contents
///   (never mtimes, so a `touch` or a fresh checkout keeps the cache).
public struct CacheKey: Hashable, CustomStringConvertible {
    public let digest: Digest
    public var description: String { digest.description }

    public static func base(_ imageID: Digest) -> CacheKey {
        var hasher = DigestHasher()
        hasher.update(Array("FROM \(imageID)".utf8))
        return CacheKey(digest: hasher.finalize())
    }

    /// The key of a step after `parent` made of `parts`, each length-prefixed
    /// so that ("ab", "c") and ("a", "bc") differ.
    public static func step(parent: CacheKey, _ parts: [String]) -> CacheKey {
        var hasher = DigestHasher()
        hasher.update(Array(parent.digest.description.utf8))
        for part in parts {
            let bytes = Array(part.utf8)
            hasher.update(Array("\n\(bytes.count):".utf8))
            hasher.update(bytes)
        }
        return CacheKey(digest: hasher.finalize())
    }

    /// Docker's `|N NAME=value ...` description of the ARGs a RUN sees.
    public static func argumentPrefix(_ args: [(String, String)]) -> String {
        guard !args.isEmpty else { return "" }
        return "|\(args.count) " + args.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }
}

/// The checksum of COPY/ADD sources, by content: every entry's path
/// relative to its source, type, mode, owner (for --from) and bytes or
/// link target.
public enum SourceChecksum {
    public static func of(_ sources: [CopySource], in tree: FileTree, includeOwners: Bool) throws -> Digest {
        var hasher = DigestHasher()
        for source in sources {
            hasher.update(Array("source \(source.name)\n".utf8))
            try add(source.entry, as: ".", tree: tree, includeOwners: includeOwners, into: &hasher)
        }
        return hasher.finalize()
    }

    static func add(_ entry: TreeEntry, as name: String, tree: FileTree, includeOwners: Bool,
                    into hasher: inout DigestHasher) throws {
        let owner = includeOwners ? " \(entry.uid):\(entry.gid)" : ""
        switch entry.kind {
        case .file:
            hasher.update(Array("f \(name) \(String(entry.mode, radix: 8))\(owner) \(entry.size) ".utf8))
            hasher.update(Array(try fileDigest(entry.hostPath).hex.utf8))
        case .symlink:
            hasher.update(Array("l \(name)\(owner) -> \(entry.linkTarget ?? "")".utf8))
        case .directory:
            hasher.update(Array("d \(name) \(String(entry.mode, radix: 8))\(owner)".utf8))
            for child in try tree.children(of: entry) {
                let childPath = entry.path == "/" ? "/" + child : entry.path + "/" + child
                guard let childEntry = try tree.entry(at: childPath, followFinal: false) else { continue }
                try add(childEntry, as: name + "/" + child, tree: tree, includeOwners: includeOwners, into: &hasher)
            }
        case .other:
            break
        }
        hasher.update([0x0a])
    }

    static func fileDigest(_ hostPath: String) throws -> Digest {
        let fd = open(hostPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BuildError.errno("open", hostPath) }
        defer { close(fd) }
        var hasher = DigestHasher()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { break }
            if n < 0 { if errno == EINTR { continue }; throw BuildError.errno("read", hostPath) }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return hasher.finalize()
    }
}
