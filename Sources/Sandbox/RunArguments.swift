/// A quick reader of `hutch run`'s arguments, Docker's syntax, for the
/// common case only: argument-parser's reflection costs about 2 ms of a
/// container's start, a fifth of it. Anything it does not know for sure
/// (--help, an unknown or malformed option) gives nil, and the caller falls
/// back to argument-parser, which has the final word and the messages.
public struct RunArguments: Equatable {
    public var rootfs: String?
    public var options = RunOptions()
    public var command: [String] = []

    public init(rootfs: String? = nil, options: RunOptions = RunOptions(), command: [String] = []) {
        self.rootfs = rootfs
        self.options = options
        self.command = command
    }

    public static func parse(_ arguments: [String]) -> RunArguments? {
        var result = RunArguments()
        var index = 0
        func takeValue(_ inline: String?) -> String? {
            if let inline { return inline }
            index += 1
            return index < arguments.count ? arguments[index] : nil
        }
        while index < arguments.count {
            let arg = arguments[index]
            if arg == "--" {
                result.command = Array(arguments[(index + 1)...])
                break
            }
            if !arg.hasPrefix("-") || arg == "-" {
                result.command = Array(arguments[index...])
                break
            }
            if arg.hasPrefix("--") {
                var name = String(arg.dropFirst(2))
                var inline: String?
                if let eq = name.firstIndex(of: "=") {
                    inline = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                switch name {
                case "interactive", "tty", "rm", "read-only":
                    guard inline == nil else { return nil }
                    if !result.set(flag: name) { return nil }
                default:
                    guard let value = takeValue(inline), result.set(option: name, value) else { return nil }
                }
            } else {
                // -it, -ti, -e VAL, -eVAL
                let letters = Array(arg.dropFirst())
                var position = 0
                while position < letters.count {
                    let letter = letters[position]
                    if letter == "i" || letter == "t" {
                        _ = result.set(flag: letter == "i" ? "interactive" : "tty")
                        position += 1
                        continue
                    }
                    guard let name = shortNames[letter] else { return nil }
                    let rest = String(letters[(position + 1)...])
                    guard let value = takeValue(rest.isEmpty ? nil : rest), result.set(option: name, value) else { return nil }
                    break
                }
            }
            index += 1
        }
        return result.command.isEmpty ? nil : result
    }

    static let shortNames: [Character: String] = ["e": "env", "w": "workdir", "u": "user", "v": "volume"]

    private mutating func set(flag: String) -> Bool {
        switch flag {
        case "interactive": options.interactive = true
        case "tty": options.tty = true
        case "rm": break
        case "read-only": options.readOnly = true
        default: return false
        }
        return true
    }

    private mutating func set(option: String, _ value: String) -> Bool {
        switch option {
        case "rootfs": rootfs = value
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
        case "network", "net": options.network = value
        case "userns": options.userns = value
        case "ulimit": options.ulimits.append(value)
        default: return false
        }
        return true
    }
}
