#if canImport(Glibc)
import Glibc
#endif

/// The folders profiles are found in by name, in order: $HUTCH_PROFILES_DIR
/// (tests), the user's $XDG_CONFIG_HOME/hutch/profiles, the installed
/// <prefix>/share/hutch/profiles beside the executable, and for a
/// development build the repository's profiles/ folder found by walking up
/// from the executable. Plain libc calls: this runs on every container start.
public struct ProfileSearchPath: Equatable, Sendable {
    public var directories: [String]

    public init(_ directories: [String]) {
        self.directories = directories
    }

    /// The standard folders for this user and this executable; `environment`
    /// nil reads the process's own.
    public static func standard(environment: [String: String]? = nil, executablePath: String? = nil) -> ProfileSearchPath {
        let env: (String) -> String? = { name in
            if let environment { return environment[name] }
            return getenv(name).map { String(cString: $0) }
        }
        var paths: [String] = []
        if let dir = env("HUTCH_PROFILES_DIR"), !dir.isEmpty { paths.append(dir) }
        let home = env("HOME") ?? homeFromPasswd()
        let config = env("XDG_CONFIG_HOME").flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.config"
        paths.append(config + "/hutch/profiles")
        let exe = executablePath ?? FileIdentity.readLink("/proc/self/exe") ?? CommandLine.arguments[0]
        var dir = parent(FileIdentity.realPath(exe) ?? exe)
        let prefix = parent(dir)
        paths.append((prefix == "/" ? "" : prefix) + "/share/hutch/profiles")
        while dir != "/" && !dir.isEmpty && dir != "." {
            let candidate = dir + "/profiles"
            if access(candidate + "/default.json", F_OK) == 0 {
                paths.append(candidate)
                break
            }
            dir = parent(dir)
        }
        var seen = Set<String>()
        return ProfileSearchPath(paths.filter { seen.insert($0).inserted })
    }

    /// The file for profile `name`, the first in search order (skipping `excluding`,
    /// so that a user's default.json may extend the installed default).
    public func locate(named name: String, excluding: String? = nil) -> String? {
        for dir in directories {
            let path = dir + "/" + name + ".json"
            guard access(path, F_OK) == 0 else { continue }
            if let excluding, Self.canonical(path) == Self.canonical(excluding) { continue }
            return path
        }
        return nil
    }

    /// Letters, digits, '.', '-' and '_', not starting with '.'.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x2d || b == 0x5f || b == 0x2e
        }
    }

    /// The path with symbolic links resolved, or as given when it does not exist.
    public static func canonical(_ path: String) -> String {
        FileIdentity.realPath(path) ?? path
    }

    /// "/a/b" for "/a/b/c", "/" for "/c", "." for "c".
    public static func parent(_ path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        let head = String(path[..<slash])
        return head.isEmpty ? "/" : head
    }

    /// The user's home folder from the password database ("/" without one).
    public static func homeFromPasswd() -> String {
        guard let pw = getpwuid(getuid()), let dir = pw.pointee.pw_dir else { return "/" }
        return String(cString: dir)
    }
}
