/// A `.dockerignore`: which paths of the build context are left out, with
/// moby/patternmatcher's rules (later patterns win, `!` re-includes, a
/// pattern that matches a directory excludes everything below it).
public struct DockerIgnore: Equatable, Sendable {
    public var patterns: [PathPattern]

    /// Patterns already read (`--exclude`, tests).
    public init(patterns: [String]) throws {
        self.patterns = try patterns.compactMap { raw in
            var p = String(ArgumentSplitter.trimSpace(Substring(raw)))
            guard !p.isEmpty else { return nil }
            p = cleanPath(p)
            var exclusion = false
            if p.hasPrefix("!") {
                guard p.count > 1 else { throw DockerIgnoreError(message: "illegal exclusion pattern: \"!\"") }
                exclusion = true
                p.removeFirst()
            }
            return try PathPattern(p, exclusion: exclusion)
        }
    }

    /// Reads the file's text: `#` comments at the start of a line, blank
    /// lines skipped, `/` and `./` at the start removed.
    public init(parsing text: String) throws {
        var lines: [String] = []
        for (i, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine)
            if i == 0, line.unicodeScalars.first == "\u{FEFF}" { line = Substring(line.unicodeScalars.dropFirst()) }
            if line.hasPrefix("#") { continue }
            var pattern = String(ArgumentSplitter.trimSpace(line))
            guard !pattern.isEmpty else { continue }
            let invert = pattern.hasPrefix("!")
            if invert { pattern = String(ArgumentSplitter.trimSpace(Substring(pattern.dropFirst()))) }
            if !pattern.isEmpty {
                pattern = cleanPath(pattern)
                if pattern.count > 1 && pattern.hasPrefix("/") { pattern.removeFirst() }
            }
            lines.append(invert ? "!" + pattern : pattern)
        }
        try self.init(patterns: lines)
    }

    /// Where to look for the ignore file, best first: `NAME.Dockerfile.dockerignore`
    /// (or `Dockerfile.dockerignore`) beside the Dockerfile, then the context's `.dockerignore`.
    public static func candidatePaths(dockerfile: String, contextDirectory: String) -> [String] {
        [dockerfile + ".dockerignore",
         (contextDirectory.hasSuffix("/") ? contextDirectory : contextDirectory + "/") + ".dockerignore"]
    }

    /// Whether a context path (relative, `/`-separated) is left out: the last
    /// pattern that matches the path or one of its parent directories decides.
    public func isExcluded(_ relativePath: String) -> Bool {
        let path = cleanPath(relativePath)
        if path == "." || path.isEmpty { return false }
        let components = path.split(separator: "/").map(String.init)
        var parents: [String] = []
        var prefix = ""
        for c in components.dropLast() {
            prefix = prefix.isEmpty ? c : prefix + "/" + c
            parents.append(prefix)
        }
        var matched = false
        for pattern in patterns {
            // An exclusion only matters once something matched, an inclusion only before.
            if pattern.exclusion != matched { continue }
            var match = pattern.matches(path)
            if !match { match = parents.contains(where: pattern.matches) }
            if match { matched = !pattern.exclusion }
        }
        return matched
    }

    /// Whether a walker must still look inside an excluded directory: some
    /// `!pattern` could re-include a path below it.
    public func mayIncludeSomethingBelow(_ directory: String) -> Bool {
        let dir = cleanPath(directory)
        let depth = dir == "." ? 0 : dir.split(separator: "/").count
        return patterns.contains { p in
            guard p.exclusion else { return false }
            if p.pattern.contains("**") { return true }
            let dirs = p.pattern.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard dirs.count > depth else { return false }
            let prefix = dirs.prefix(depth).joined(separator: "/")
            return depth == 0 || (try? PathPattern(prefix, exclusion: false))?.matches(dir) ?? true
        }
    }

    public var hasExclusions: Bool { patterns.contains(where: \.exclusion) }
}

public struct DockerIgnoreError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    public var description: String { message }
}

/// Go's filepath.Clean for `/`-separated paths.
func cleanPath(_ path: String) -> String {
    guard !path.isEmpty else { return "." }
    let rooted = path.hasPrefix("/")
    var out: [Substring] = []
    for part in path.split(separator: "/", omittingEmptySubsequences: true) {
        if part == "." { continue }
        if part == ".." {
            if let last = out.last, last != ".." { out.removeLast() } else if !rooted { out.append(part) }
            continue
        }
        out.append(part)
    }
    let joined = out.joined(separator: "/")
    if rooted { return "/" + joined }
    return joined.isEmpty ? "." : joined
}
