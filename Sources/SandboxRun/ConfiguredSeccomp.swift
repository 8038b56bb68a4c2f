import Sandbox
import SeccompCache
#if canImport(Glibc)
import Glibc
#endif

/// Whether a config file may choose the default seccomp profile, for the
/// launcher: it cannot read TOML (no Foundation), so a plain `run --rootfs`
/// whose profile a config file may set goes to the full CLI, which does.
/// Two open(2) calls when no file exists; a file that merely mentions the
/// key (even in a comment) costs the full CLI's start, never a wrong filter.
public enum ConfiguredSeccomp {
    static let key = Array("seccomp_profile".utf8)

    /// True when `securityOpts` leave the profile to the config and one of
    /// the config files (HutchConfig.defaultFiles: the machine's, then the
    /// user's) mentions `seccomp_profile`, or cannot be read to tell.
    public static func mayChooseProfile(securityOpts: [String],
                                        environment: (String) -> String? = { getenv($0).map { String(cString: $0) } }) -> Bool {
        if SecurityOptions.choosesSeccomp(securityOpts) { return false }
        return configFiles(environment: environment).contains { mentionsKey($0) }
    }

    /// `/etc/hutch/config.toml`, then `$XDG_CONFIG_HOME/hutch/config.toml`
    /// (`~/.config/hutch/config.toml`), as Registry.HutchConfig finds them.
    public static func configFiles(environment: (String) -> String?) -> [String] {
        let config: String
        if let xdg = environment("XDG_CONFIG_HOME"), xdg.hasPrefix("/") {
            config = xdg
        } else {
            let home = environment("HOME").flatMap { $0.isEmpty ? nil : $0 } ?? ProfileSearchPath.homeFromPasswd()
            config = home + "/.config"
        }
        return ["/etc/hutch/config.toml", config + "/hutch/config.toml"]
    }

    static func mentionsKey(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        guard st.st_size > 0 else { return false }
        // Unreadable or huge: the full CLI reports what is wrong with it.
        guard let bytes = FileBytes.read(path) else { return true }
        return contains(bytes, key)
    }

    static func contains(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
        guard bytes.count >= needle.count else { return false }
        var i = 0
        while i <= bytes.count - needle.count {
            if bytes[i] == needle[0] {
                var j = 1
                while j < needle.count && bytes[i + j] == needle[j] { j += 1 }
                if j == needle.count { return true }
            }
            i += 1
        }
        return false
    }
}
