/// The build context as COPY and ADD see it: one folder, its symlinks kept
/// inside it, and the paths `.dockerignore` leaves out absent.
public struct ContextTree: FileTree {
    public let directory: String
    public let filter: ContextFilter
    let view: LayerView

    public init(directory: String, filter: ContextFilter = IncludeEverything()) {
        self.directory = directory
        self.filter = filter
        self.view = LayerView(layers: [directory])
    }

    func relative(_ path: String) -> String { String(TreePath.clean(path).dropFirst()) }

    public func resolve(_ path: String, followFinal: Bool) throws -> String {
        try view.resolve(path, followFinal: followFinal)
    }

    public func entry(at path: String, followFinal: Bool) throws -> TreeEntry? {
        guard let found = try view.entry(at: path, followFinal: followFinal) else { return nil }
        let rel = relative(found.path)
        if !rel.isEmpty && filter.excludes(rel) {
            // An excluded folder still exists when an exception keeps something inside it.
            guard found.kind == .directory, filter.hasExceptions, try hasIncludedDescendant(found) else { return nil }
        }
        return found
    }

    public func children(of directory: TreeEntry) throws -> [String] {
        let prefix = relative(directory.path)
        return try view.children(of: directory).filter { name in
            let rel = prefix.isEmpty ? name : prefix + "/" + name
            if !filter.excludes(rel) { return true }
            guard filter.hasExceptions, let child = try view.entry(at: "/" + rel, followFinal: false),
                  child.kind == .directory else { return false }
            return try hasIncludedDescendant(child)
        }
    }

    func hasIncludedDescendant(_ dir: TreeEntry) throws -> Bool {
        for name in try view.children(of: dir) {
            let path = dir.path == "/" ? "/" + name : dir.path + "/" + name
            if !filter.excludes(relative(path)) { return true }
            if let child = try view.entry(at: path, followFinal: false), child.kind == .directory,
               try hasIncludedDescendant(child) { return true }
        }
        return false
    }
}
