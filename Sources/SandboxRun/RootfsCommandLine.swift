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
        // Options already given that take one value or are flags: a repeat is left to argument-parser.
        var seen: [String] = []
        var i = 0
        while i < words.count {
            let word = words[i]
            guard word.hasPrefix("-") else { break }
            if let flags = Self.flags(word) {
                for flag in flags {
                    guard !seen.contains(flag) else { return nil }
                    seen.append(flag)
                    switch flag {
                    case "interactive": options.interactive = true
                    case "tty": options.tty = true
                    case "read-only": options.readOnly = true
                    default: break  // --rm: always so with --rootfs
                    }
                }
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
                guard let long = word.hasPrefix("--") ? String(word.dropFirst(2)) : Self.longName(short: word),
                      i + 1 < words.count, !words[i + 1].hasPrefix("-") else { return nil }
                name = long
                value = words[i + 1]
                i += 2
            }
            guard !value.isEmpty, let (key, repeats) = Self.valueOption(name) else { return nil }
            if !repeats {
                guard !seen.contains(key) else { return nil }
                seen.append(key)
            }
            switch key {
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

    // Switches, not dictionaries: a dictionary literal costs a start its
    // generic metadata, more than the whole reading.

    /// The flags a flag word sets (`--rm` is always so with --rootfs).
    static func flags(_ word: String) -> [String]? {
        switch word {
        case "-i", "--interactive": return ["interactive"]
        case "-t", "--tty": return ["tty"]
        case "-it", "-ti": return ["interactive", "tty"]
        case "--rm": return ["rm"]
        case "--read-only": return ["read-only"]
        default: return nil
        }
    }

    static func longName(short: String) -> String? {
        switch short {
        case "-e": return "env"
        case "-w": return "workdir"
        case "-u": return "user"
        case "-v": return "volume"
        default: return nil
        }
    }

    /// The option a long name (or alias) with a value sets, and whether it may repeat.
    static func valueOption(_ name: String) -> (key: String, repeats: Bool)? {
        switch name {
        case "rootfs", "root", "workdir", "user", "hostname", "userns": return (name, false)
        case "network", "net": return ("network", false)
        case "env", "env-file", "volume", "tmpfs", "cap-add", "cap-drop", "security-opt", "ulimit": return (name, true)
        default: return nil
        }
    }
}
