import Foundation
// The Foundation-free part (search path, target, filter index): the launcher uses it alone.
@_exported import SeccompCache

/// Where profiles are found by name, and loading them with `extends`
/// followed. Search order: $HUTCH_PROFILES_DIR (tests), the user's
/// $XDG_CONFIG_HOME/hutch/profiles, the installed <prefix>/share/hutch/profiles
/// beside the executable, and for a development build the repository's
/// profiles/ folder found by walking up from the executable.
public struct ProfileLibrary: Sendable {
    public var searchPaths: [String]

    public init(searchPaths: [String]) {
        self.searchPaths = searchPaths
    }

    /// `unconfined` turns seccomp off; it is a word, never a file.
    public static let unconfined = "unconfined"

    /// The standard search paths for this user and this executable (see
    /// ProfileSearchPath); `environment` nil reads the process's own.
    public static func standard(environment: [String: String]? = nil,
                                executablePath: String? = nil) -> ProfileLibrary {
        ProfileLibrary(searchPaths: ProfileSearchPath.standard(environment: environment, executablePath: executablePath).directories)
    }

    var searchPath: ProfileSearchPath { ProfileSearchPath(searchPaths) }

    /// The file for profile `name`, the first in search order (skipping `excluding`,
    /// so that a user's default.json may extend the installed default).
    public func locate(named name: String, excluding: String? = nil) -> String? {
        searchPath.locate(named: name, excluding: excluding)
    }

    /// A named profile with its `extends` chain merged in.
    public func load(named name: String) throws -> SeccompProfile {
        try Self.validate(name: name)
        guard let path = locate(named: name) else { throw notFound(name) }
        return try load(file: path)
    }

    /// What `--security-opt seccomp=VALUE` names: an existing file, or a profile name.
    /// Returns nil for `unconfined`.
    public func load(reference: String) throws -> SeccompProfile? {
        try loadRecordingFiles(reference: reference)?.profile
    }

    /// `load(reference:)`, with the files read (see `loadRecordingFiles(file:)`).
    func loadRecordingFiles(reference: String) throws -> (profile: SeccompProfile, files: [ProfileFile])? {
        if reference == Self.unconfined { return nil }
        if access(reference, F_OK) == 0 { return try loadRecordingFiles(file: reference) }
        if reference.contains("/") || reference.hasSuffix(".json") {
            throw ProfileError("no such profile file: \(reference)")
        }
        try Self.validate(name: reference)
        guard let path = locate(named: reference) else { throw notFound(reference) }
        return try loadRecordingFiles(file: path)
    }

    /// A profile file with its `extends` chain merged in.
    public func load(file path: String) throws -> SeccompProfile {
        var files: [ProfileFile] = []
        return try load(file: path, locatedAs: nil, chain: [], files: &files)
    }

    /// `load(file:)`, also saying which files it read (the file itself, then
    /// each `extends` base in turn) and what they were before they were read.
    func loadRecordingFiles(file path: String) throws -> (profile: SeccompProfile, files: [ProfileFile]) {
        var files: [ProfileFile] = []
        let profile = try load(file: path, locatedAs: nil, chain: [], files: &files)
        return (profile, files)
    }

    private func load(file path: String, locatedAs: String?, chain: [(name: String, path: String)],
                      files: inout [ProfileFile]) throws -> SeccompProfile {
        // Identity first: a change made while we read makes the next lookup miss.
        let identity = FileIdentity(path: path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProfileError("cannot read the profile file (missing or unreadable)", file: path)
        }
        files.append(ProfileFile(baseName: locatedAs, path: path, identity: identity))
        let profile: SeccompProfile
        do { profile = try ProfileDecoder.decode(data) } catch let error as ProfileError { throw error.in(file: path) }
        guard let baseName = profile.extends else { return profile }
        do { try Self.validate(name: baseName) } catch let e as ProfileError {
            throw ProfileError(e.message, path: "extends", file: path)
        }
        guard let basePath = locate(named: baseName, excluding: path) else {
            throw ProfileError(notFound(baseName).message, path: "extends", file: path)
        }
        let here = (name: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent, path: path)
        let links = chain + [here]
        if let start = links.firstIndex(where: { canonical($0.path) == canonical(basePath) }) {
            let names = links[start...].map(\.name) + [baseName]
            throw ProfileError("extends makes a cycle: \(names.joined(separator: " -> "))", path: "extends", file: path)
        }
        guard links.count < 32 else {
            throw ProfileError("extends chain is longer than 32 profiles", path: "extends", file: path)
        }
        let base = try load(file: basePath, locatedAs: baseName, chain: links, files: &files)
        return base.extended(by: profile)
    }

    /// One row of `hutch profile list`.
    public struct Entry: Equatable, Sendable {
        public var name: String
        public var path: String
        public var description: String
        /// A profile of the same name found earlier in the search order hides this one.
        public var isShadowed: Bool
    }

    /// Every profile in the search path, in search order.
    public func list() -> [Entry] {
        var entries: [Entry] = []
        var seen = Set<String>()
        for dir in searchPaths {
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for file in files.sorted() where file.hasSuffix(".json") {
                let name = String(file.dropLast(5))
                let path = dir + "/" + file
                var text = ""
                if let data = FileManager.default.contents(atPath: path) {
                    do { text = try ProfileDecoder.decode(data).description ?? "" } catch { text = "(broken: \(error))" }
                }
                entries.append(Entry(name: name, path: path, description: text, isShadowed: !seen.insert(name).inserted))
            }
        }
        return entries
    }

    static func validate(name: String) throws {
        if name == unconfined {
            throw ProfileError("\"unconfined\" turns seccomp off; it is not a profile a file can extend")
        }
        guard ProfileSearchPath.isValidName(name) else { throw ProfileError("\"\(name)\" is not a profile name (letters, digits, '.', '-', '_')") }
    }

    private func notFound(_ name: String) -> ProfileError {
        ProfileError("no seccomp profile named \"\(name)\" in \(searchPaths.joined(separator: ", "))")
    }

    func canonical(_ path: String) -> String {
        ProfileSearchPath.canonical(path)
    }
}

extension SeccompProfile {
    /// `child` on top of this (flattened) base: the child's settings win,
    /// `remove` drops the base's rules for those syscalls, then the child's
    /// rules follow the base's.
    func extended(by child: SeccompProfile) -> SeccompProfile {
        var result = self
        if let a = child.defaultAction {
            result.defaultAction = a
            result.defaultErrnoRet = child.defaultErrnoRet
        } else if let e = child.defaultErrnoRet {
            result.defaultErrnoRet = e
        }
        if child.architectures != nil || child.archMap != nil {
            result.architectures = child.architectures
            result.archMap = child.archMap
        }
        if let flags = child.flags { result.flags = flags }
        let removed = Set(child.remove ?? [])
        var rules: [SyscallRule] = []
        for var rule in self.syscalls ?? [] {
            if !removed.isEmpty {
                let kept = rule.allNames.filter { !removed.contains($0) }
                if kept.isEmpty { continue }
                rule.name = nil
                rule.names = kept
            }
            rules.append(rule)
        }
        result.syscalls = rules + (child.syscalls ?? [])
        result.extends = nil
        result.remove = nil
        result.description = child.description ?? description
        return result
    }
}
