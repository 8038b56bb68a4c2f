import Foundation
import Sandbox
import UnionFS
#if canImport(Glibc)
import Glibc
#endif

/// `hutch cp`, both ways, with Docker's rules for what lands where. The
/// container's side is a path in its root filesystem, resolved inside it
/// (symlinks never lead out of the root): for a running image container
/// its mounted root, for a stopped one its upper layer over the image's
/// layers, mounted for the copy's length; a `--rootfs` container's folder.
public enum ContainerCopy {
    public enum Endpoint: Equatable {
        case host(String)
        case container(String, path: String)
        /// `-`: a tar stream on stdin or stdout.
        case stream

        /// `NAME:PATH` is a container's path (unless it starts with / or . as a host path does).
        public static func parse(_ text: String) -> Endpoint {
            if text == "-" { return .stream }
            if text.hasPrefix("/") || text.hasPrefix(".") { return .host(text) }
            if let colon = text.firstIndex(of: ":") {
                return .container(String(text[..<colon]), path: String(text[text.index(after: colon)...]))
            }
            return .host(text)
        }
    }

    /// Copies `source` to `destination`: exactly one must be a container's.
    /// `followLink` (-L) follows a symlink given as the source.
    public static func copy(from source: Endpoint, to destination: Endpoint, repository: ContainerRepository,
                            followLink: Bool = false) throws {
        switch (source, destination) {
        case (.container(let name, let path), .host(let host)):
            try withRoot(of: name, path: path, writing: false, repository: repository) { root, path in
                let src = try containerPath(path, in: root, followLast: followLink)
                try copyTree(src, to: host, sourceText: path, destinationText: host)
            }
        case (.container(let name, let path), .stream):
            try withRoot(of: name, path: path, writing: false, repository: repository) { root, path in
                let src = try containerPath(path, in: root, followLast: followLink)
                try tar(["-c", "-f", "-", "-C", (src as NSString).deletingLastPathComponent, (src as NSString).lastPathComponent])
            }
        case (.host(let host), .container(let name, let path)):
            var host = host
            if followLink, let real = realpathOf(host) { host = real }
            try withRoot(of: name, path: path, writing: true, repository: repository) { root, path in
                let dest = try containerPath(path, in: root, followLast: true)
                try copyTree(host, to: dest, sourceText: host, destinationText: path)
            }
        case (.stream, .container(let name, let path)):
            try withRoot(of: name, path: path, writing: true, repository: repository) { root, path in
                let dest = try containerPath(path, in: root, followLast: true)
                guard isDirectory(dest) == true else {
                    throw ContainerError.invalidOption("destination \"\(path)\" must be a directory")
                }
                try tar(["-x", "-f", "-", "--no-same-owner", "-C", dest])
            }
        default:
            throw ContainerError.invalidOption("copying between containers or between host paths is not supported: one of SRC and DEST must be CONTAINER:PATH")
        }
    }

    /// The host path of `path` (absolute in the container, or relative to
    /// its root) inside `root`, symlinks resolved inside it; the last
    /// component is kept as is unless `followLast`.
    static func containerPath(_ path: String, in root: String, followLast: Bool) throws -> String {
        let absolute = path.hasPrefix("/") ? path : "/" + path
        let trailing = absolute.count > 1 && (absolute.hasSuffix("/") || absolute.hasSuffix("/."))
        var resolved: String
        if followLast {
            resolved = try RootfsPath.resolve(absolute, in: root)
        } else {
            let parent = (absolute as NSString).deletingLastPathComponent
            let last = (absolute as NSString).lastPathComponent
            let dir = try RootfsPath.resolve(parent.isEmpty ? "/" : parent, in: root)
            resolved = last == "/" || last == ".." || last == "." ? try RootfsPath.resolve(absolute, in: root)
                : (dir.isEmpty ? last : dir + "/" + last)
        }
        resolved = root + (resolved.isEmpty ? "" : "/" + resolved)
        // Keep what the trailing "/" or "/." says (the rules below read it).
        if absolute.hasSuffix("/.") { return resolved + "/." }
        return trailing ? resolved + "/" : resolved
    }

    /// Docker's rules: a file onto a folder lands inside it; a folder onto
    /// a missing path becomes it; onto a folder, it lands inside unless
    /// the source ends in `/.` (then its contents are copied).
    static func copyTree(_ source: String, to destination: String, sourceText: String, destinationText: String) throws {
        let contentsOnly = source.hasSuffix("/.")
        let src = contentsOnly ? String(source.dropLast(2)) : source
        var st = stat()
        guard lstat(src.hasSuffix("/") && src.count > 1 ? String(src.dropLast()) : src, &st) == 0 else {
            throw ContainerError.invalidOption("Could not find the file \(sourceText) in the source: no such file or directory")
        }
        let srcIsDir = (st.st_mode & S_IFMT) == S_IFDIR
        let dest = destination.hasSuffix("/") && destination.count > 1 ? String(destination.dropLast()) : destination
        let destIsDir = isDirectory(dest)
        let target: String
        switch (srcIsDir, destIsDir) {
        case (_, nil):
            if destination.hasSuffix("/") && !srcIsDir {
                throw ContainerError.invalidOption("destination directory \(destinationText) does not exist")
            }
            guard isDirectory((dest as NSString).deletingLastPathComponent) == true else {
                throw ContainerError.invalidOption("destination \(destinationText): the folder it would go in does not exist")
            }
            target = dest
        case (_, true?):
            target = srcIsDir && contentsOnly ? dest
                : dest + "/" + ((src.hasSuffix("/") ? String(src.dropLast()) : src) as NSString).lastPathComponent
        case (true, false?):
            throw ContainerError.invalidOption("cannot copy a directory to a file: \(destinationText) is not a directory")
        case (false, false?):
            target = dest
        }
        // cp -a keeps modes, times and links; ownership stays the user's
        // (the container's root inside), as Docker's cp gives root.
        let r = Subprocess.run(["/bin/cp", "-a", "--no-target-directory", src.hasSuffix("/") ? String(src.dropLast()) : src, target])
        guard r.status == 0 else {
            throw ContainerError.io("copy failed: \(r.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    /// tar with hutch's own stdin and stdout.
    static func tar(_ args: [String]) throws {
        var pid = pid_t()
        let argv = ["/bin/tar"] + args
        var cargs = argv.map { strdup($0) }
        cargs.append(nil)
        defer { for p in cargs { free(p) } }
        let rc = posix_spawn(&pid, argv[0], nil, nil, &cargs, environ)
        guard rc == 0 else { throw ContainerError.io("cannot run tar: \(String(cString: strerror(rc)))") }
        let status = Subprocess.waitStatus(pid)
        guard status == 0 else { throw ContainerError.io("tar failed with status \(status)") }
    }

    /// Runs `body` with the host folder that holds `path` and the path inside
    /// it: the host folder of a `-v` mount when `path` is at or under its
    /// target (as Docker's cp sees volumes), else the container's root.
    static func withRoot(of name: String, path: String, writing: Bool, repository: ContainerRepository,
                         _ body: (String, String) throws -> Void) throws {
        let container = try repository.resolve(name)
        if let volume = volume(holding: path, in: container.config.volumes) {
            if writing && volume.readOnly { throw ContainerError.invalidOption("mounted volume is marked read-only") }
            try body(volume.source, volume.path)
            return
        }
        try withRoot(of: container, repository: repository) { try body($0, path) }
    }

    /// The `-v` mount whose target holds `path` (the deepest one), with the
    /// path relative to its host folder; the trailing "/" or "/." kept.
    /// A path with ".." is left to the root's resolution.
    static func volume(holding path: String, in volumes: [String]) -> (source: String, path: String, readOnly: Bool)? {
        let parts = path.split(separator: "/").filter { $0 != "." }
        guard !parts.contains("..") else { return nil }
        let normalized = "/" + parts.joined(separator: "/")
        let suffix = path.hasSuffix("/.") ? "/." : (path.hasSuffix("/") && normalized != "/" ? "/" : "")
        var best: (source: String, path: String, readOnly: Bool, depth: Int)?
        for text in volumes {
            guard let mount = try? VolumeMount.parse(text) else { continue }
            let target = "/" + mount.target.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
            guard target != "/", normalized == target || normalized.hasPrefix(target + "/") else { continue }
            if let best, best.depth >= target.count { continue }
            let rest = String(normalized.dropFirst(target.count))
            let inner = rest.isEmpty ? (suffix == "/." ? "/." : "/") : rest + suffix
            best = (mount.source, inner, mount.readOnly, target.count)
        }
        return best.map { ($0.source, $0.path, $0.readOnly) }
    }

    /// Runs `body` with the host path of the container's root: the folder
    /// of a `--rootfs` container, the live mount of a running image
    /// container, or a mount made for the copy of a stopped one (holding
    /// its monitor lock, so it cannot start meanwhile).
    static func withRoot(of container: Container, repository: ContainerRepository, _ body: (String) throws -> Void) throws {
        let folder = repository.folder(container.id)
        switch container.config.root {
        case .folder(let path):
            try body(path)
        case .image(let layers):
            if container.state.status == .running {
                // The container's own mount lives in its namespace, out of
                // hutch's reach: a host mount of the same layers serves the
                // copy. The container sees a copied file at once by name; a
                // listing it already holds may take a while to show it.
                let mount = try ImageRootfs.mount(layers: layers, folder: folder, at: folder + "/copy")
                defer { try? mount.unmount() }
                try body(mount.mountpoint)
                return
            }
            let lock = try Flock(path: folder + "/monitor.lock")
            guard lock.tryLock() else {
                throw ContainerError.invalidOption("container \(container.name) is starting or stopping: try again")
            }
            defer { lock.unlock() }
            let mount = try ImageRootfs.mount(layers: layers, folder: folder)
            defer { try? mount.unmount() }
            try body(mount.mountpoint)
        }
    }

    /// true for a folder, false for anything else, nil for nothing (symlinks followed).
    static func isDirectory(_ path: String) -> Bool? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func realpathOf(_ path: String) -> String? {
        guard let p = Glibc.realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
