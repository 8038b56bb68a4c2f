#if canImport(Glibc)
import Glibc
#endif

/// One COPY or ADD, its sources and destination already variable-expanded.
public struct CopyRequest {
    public var instruction: String   // "COPY" or "ADD", for messages
    public var sources: [String]
    public var destination: String
    public var workdir: String
    public var chown: Ownership?
    public var chmod: UInt32?
    /// ADD: local tar archives are extracted into the destination.
    public var extractArchives: Bool
    /// Whether sources come from the build context (so `..` is refused).
    public var fromContext: Bool

    public init(instruction: String = "COPY", sources: [String], destination: String, workdir: String = "/",
                chown: Ownership? = nil, chmod: UInt32? = nil, extractArchives: Bool = false,
                fromContext: Bool = true) {
        self.instruction = instruction; self.sources = sources; self.destination = destination
        self.workdir = workdir; self.chown = chown; self.chmod = chmod
        self.extractArchives = extractArchives; self.fromContext = fromContext
    }
}

/// A source that matched: the entry and the name it was asked by (a
/// followed symlink keeps the link's name, as Docker does).
public struct CopySource {
    public var entry: TreeEntry
    public var name: String
}

/// COPY and ADD as Docker does them: globs, a folder's contents (not the
/// folder) copied, a destination ending in "/" or existing as a folder
/// receiving files by name, several sources needing such a destination.
public enum CopyOperation {
    static let globCharacters: Set<Character> = ["*", "?", "["]

    /// The sources a request names, in order; errors as Docker words them.
    public static func matchSources(_ request: CopyRequest, in tree: FileTree) throws -> [CopySource] {
        var matches: [CopySource] = []
        for source in request.sources {
            if request.fromContext && TreePath.escapes(source) {
                throw BuildError("forbidden path outside the build context: \(source)")
            }
            if source.contains(where: { globCharacters.contains($0) }) {
                matches += try glob(source, in: tree)
                continue
            }
            guard let entry = try tree.entry(at: source, followFinal: true) else {
                throw BuildError(request.fromContext
                    ? "\(request.instruction) failed: file not found in build context or excluded by .dockerignore: stat \(source): file does not exist"
                    : "\(request.instruction) failed: stat \(source): file does not exist")
            }
            matches.append(CopySource(entry: entry, name: TreePath.basename(source)))
        }
        if matches.isEmpty { throw BuildError("\(request.instruction) failed: no source files were specified") }
        return matches
    }

    /// Matches a pattern component by component with Go's filepath.Match
    /// rules (fnmatch without FNM_PERIOD: "*" matches dot files, as in Docker).
    static func glob(_ pattern: String, in tree: FileTree) throws -> [CopySource] {
        var current: [String] = ["/"]
        let parts = TreePath.components(pattern)
        for (index, part) in parts.enumerated() {
            var next: [String] = []
            let isLast = index == parts.count - 1
            for base in current {
                let prefix = base == "/" ? "/" : base + "/"
                if !part.contains(where: { globCharacters.contains($0) }) {
                    if (try? tree.entry(at: prefix + part, followFinal: !isLast)) != nil { next.append(prefix + part) }
                    continue
                }
                guard let dir = try? tree.entry(at: base, followFinal: true), dir.kind == .directory else { continue }
                for name in try tree.children(of: dir) where fnmatch(part, name, 0) == 0 {
                    next.append(prefix + name)
                }
            }
            current = next
        }
        return try current.compactMap { path in
            guard let entry = try tree.entry(at: path, followFinal: true) else { return nil }
            return CopySource(entry: entry, name: TreePath.basename(path))
        }
    }

    /// Performs the request: reads `tree`, writes the step's upper directory.
    public static func perform(_ request: CopyRequest, from tree: FileTree, into writer: LayerWriter) throws {
        let sources = try matchSources(request, in: tree)
        try perform(request, sources: sources, from: tree, into: writer)
    }

    public static func perform(_ request: CopyRequest, sources: [CopySource], from tree: FileTree,
                               into writer: LayerWriter) throws {
        let dest = request.destination
        let absolute = dest.hasPrefix("/") ? dest : (request.workdir.hasSuffix("/") ? request.workdir : request.workdir + "/") + dest
        let namesDirectory = dest.hasSuffix("/") || dest.hasSuffix("/.") || dest == "." || dest == ".."
        if sources.count > 1 && !namesDirectory {
            throw BuildError("When using \(request.instruction) with more than one source file, the destination must be a directory and end with a /")
        }
        let target = TreePath.components(try writer.view.resolve(absolute, followFinal: true))
        let existing = try writer.view.entry(at: TreePath.join(target), followFinal: true)
        let targetIsDirectory = namesDirectory || existing?.kind == .directory
        let owner = request.chown ?? .root

        for source in sources {
            let entry = source.entry
            switch entry.kind {
            case .directory:
                if let existing, existing.kind != .directory {
                    throw BuildError("cannot copy directory \(source.name) to \(dest): not a directory")
                }
                if existing == nil { try writer.ensureDirectory(target, newOwner: owner) }
                try copyContents(of: entry, from: tree, to: target, request: request, writer: writer)
            case .file where request.extractArchives && ArchiveExtractor.isArchive(entry.hostPath):
                try writer.ensureDirectory(target, newOwner: owner)
                try ArchiveExtractor.extract(entry.hostPath, into: target, writer: writer)
            case .file, .symlink:
                let path = targetIsDirectory ? target + [source.name] : target
                if targetIsDirectory { try writer.ensureDirectory(target, newOwner: owner) }
                if let there = try writer.view.entry(at: TreePath.join(path), followFinal: false),
                   there.kind == .directory, !targetIsDirectory {
                    throw BuildError("cannot overwrite directory \(TreePath.join(path)) with a file")
                }
                try copyEntry(entry, from: tree, to: path, request: request, writer: writer)
            case .other:
                continue
            }
        }
        try writer.finish()
    }

    static func copyContents(of dir: TreeEntry, from tree: FileTree, to target: [String], request: CopyRequest,
                             writer: LayerWriter) throws {
        for name in try tree.children(of: dir) {
            let childPath = dir.path == "/" ? "/" + name : dir.path + "/" + name
            guard let child = try tree.entry(at: childPath, followFinal: false) else { continue }
            try copyEntry(child, from: tree, to: target + [name], request: request, writer: writer)
        }
    }

    static func copyEntry(_ entry: TreeEntry, from tree: FileTree, to path: [String], request: CopyRequest,
                          writer: LayerWriter) throws {
        let owner = request.chown ?? (request.fromContext ? .root : Ownership(uid: entry.uid, gid: entry.gid))
        let mode = request.chmod ?? entry.mode
        switch entry.kind {
        case .file:
            try writer.writeFile(path, copying: entry.hostPath, mode: mode, owner: owner, mtime: entry.mtime)
        case .symlink:
            try writer.writeSymlink(path, target: entry.linkTarget ?? "", owner: owner, mtime: entry.mtime)
        case .directory:
            try writer.writeDirectory(path, mode: mode, owner: owner, mtime: entry.mtime)
            try copyContents(of: entry, from: tree, to: path, request: request, writer: writer)
        case .other:
            break
        }
    }
}
