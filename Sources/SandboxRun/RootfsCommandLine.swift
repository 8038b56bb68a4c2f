import Sandbox

/// A `hutch run` command line the launcher starts by itself: a plain
/// `--rootfs` run written in the common forms. argument-parser takes ~2 ms
/// to build its model of RunArguments by reflection, a tenth of a start, so
/// the launcher reads these forms directly and leaves every other line to
/// the full CLI. Anything unusual (a repeated flag, `--`, `-eVALUE`, a value
/// that starts with `-`, any option a plain run ignores or a container
/// record needs) is not recognized, never guessed: SandboxRunTests checks
/// that whatever is recognized parses the same as through argument-parser.
public struct RootfsCommandLine: Equatable {
    public var rootfs: String
    public var options: RunOptions
    public var command: [String]

    /// The words after `run`; nil unless every one is a form listed here.
    public init?(_ words: [String]) {
        var rootfs: String?
        var options = RunOptions()
        var seen = Set<String>()
        var i = 0
        while i < words.count {
            let word = words[i]
            guard word.hasPrefix("-") else { break }
            if let flag = Self.flags[word] {
                for name in flag { guard seen.insert(name).inserted else { return nil } }
                if flag.contains("interactive") { options.interactive = true }
                if flag.contains("tty") { options.tty = true }
                if flag.contains("read-only") { options.readOnly = true }
                i += 1
                continue
            }
            // --name=value, --name value, -x value.
            let name: String, value: String
            if word.hasPrefix("--"), let equals = word.firstIndex(of: "=") {
                name = String(word[word.index(word.startIndex, offsetBy: 2)..<equals])
                value = String(word[word.index(after: equals)...])
                i += 1
            } else {
                guard let long = word.hasPrefix("--") ? String(word.dropFirst(2)) : Self.shortNames[word],
                      i + 1 < words.count, !words[i + 1].hasPrefix("-") else { return nil }
                name = long
                value = words[i + 1]
                i += 2
            }
            guard !value.isEmpty, let option = Self.valueOptions[name] else { return nil }
            if !option.repeats { guard seen.insert(option.key).inserted else { return nil } }
            switch option.key {
            case "rootfs": rootfs = value
            case "root": break  // the store: a plain run has none
            case "env": options.env.append(value)
            case "env-file": options.envFiles.append(value)
            case "workdir": options.workdir = value
            case "user": options.user = value
            case "hostname": options.hostname = value
            case "volume": options.volumes.append(value)
            case "tmpfs": options.tmpfs.append(value)
            case "cap-add": options.capAdd.append(value)
            case "cap-drop": options.capDrop.append(value)
            case "security-opt": options.securityOpts.append(value)
            case "network":
                guard value != "private" else { return nil }
                options.network = value
            case "userns": options.userns = value
            case "ulimit": options.ulimits.append(value)
            default: return nil
            }
        }
        guard let rootfs, i < words.count else { return nil }
        self.rootfs = rootfs
        self.options = options
        self.command = Array(words[i...])
    }

    /// Flag words and the flags they set (`--rm` is always so with --rootfs).
    static let flags: [String: [String]] = [
        "-i": ["interactive"], "--interactive": ["interactive"],
        "-t": ["tty"], "--tty": ["tty"],
        "-it": ["interactive", "tty"], "-ti": ["interactive", "tty"],
        "--rm": ["rm"], "--read-only": ["read-only"],
    ]

    static let shortNames: [String: String] = ["-e": "env", "-w": "workdir", "-u": "user", "-v": "volume"]

    /// Long names (and aliases) of the options with a value, by the option they set.
    static let valueOptions: [String: (key: String, repeats: Bool)] = [
        "rootfs": ("rootfs", false), "root": ("root", false),
        "env": ("env", true), "env-file": ("env-file", true),
        "workdir": ("workdir", false), "user": ("user", false), "hostname": ("hostname", false),
        "volume": ("volume", true), "tmpfs": ("tmpfs", true),
        "cap-add": ("cap-add", true), "cap-drop": ("cap-drop", true), "security-opt": ("security-opt", true),
        "network": ("network", false), "net": ("network", false),
        "userns": ("userns", false), "ulimit": ("ulimit", true),
    ]
}
