/// The options of `hutch run` that shape a sandbox, as the user typed them.
/// `SandboxSpec.forRootfs` checks and resolves them.
public struct RunOptions: Equatable {
    public var env: [String] = []
    public var envFiles: [String] = []
    public var workdir: String?
    public var user: String?
    public var hostname: String?
    public var readOnly = false
    public var volumes: [String] = []
    public var tmpfs: [String] = []
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    public var securityOpts: [String] = []
    public var network: String?
    public var userns: String?
    public var ulimits: [String] = []
    public var interactive = false
    public var tty = false

    public init() {}
}

/// A host folder or file bind-mounted into the container (`-v`).
public struct VolumeMount: Equatable {
    public var source: String
    public var target: String
    public var readOnly: Bool

    public init(source: String, target: String, readOnly: Bool) {
        self.source = source
        self.target = target
        self.readOnly = readOnly
    }

    /// `HOST:CONTAINER[:OPTIONS]`, options a comma list of ro, rw and the
    /// SELinux and propagation words Docker accepts (ignored here).
    public static func parse(_ text: String) throws -> VolumeMount {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw SandboxError.invalidOption("invalid volume specification: '\(text)': expected HOST:CONTAINER[:ro]")
        }
        guard parts[0].hasPrefix("/") else {
            throw SandboxError.invalidOption("invalid volume specification: '\(text)': the host path '\(parts[0])' must be absolute (named volumes need an image store)")
        }
        guard parts[1].hasPrefix("/") else {
            throw SandboxError.invalidOption("invalid volume specification: '\(text)': mount path '\(parts[1])' must be absolute")
        }
        var readOnly = false
        if parts.count == 3 {
            for option in parts[2].split(separator: ",") {
                switch option {
                case "ro": readOnly = true
                case "rw": readOnly = false
                case "z", "Z", "private", "rprivate", "shared", "rshared", "slave", "rslave", "nocopy", "consistent", "cached", "delegated": break
                default:
                    throw SandboxError.invalidOption("invalid volume specification: '\(text)': unknown option '\(option)'")
                }
            }
        }
        return VolumeMount(source: parts[0], target: parts[1], readOnly: readOnly)
    }
}

/// A `--ulimit NAME=SOFT[:HARD]`.
public struct ResourceLimit: Equatable {
    public var resource: Int32
    public var soft: UInt64
    public var hard: UInt64

    public init(resource: Int32, soft: UInt64, hard: UInt64) {
        self.resource = resource
        self.soft = soft
        self.hard = hard
    }

    /// Docker's names, with the RLIMIT_ numbers of Linux.
    static let resources: [String: Int32] = [
        "cpu": 0, "fsize": 1, "data": 2, "stack": 3, "core": 4, "rss": 5, "nproc": 6, "nofile": 7,
        "memlock": 8, "as": 9, "locks": 10, "sigpending": 11, "msgqueue": 12, "nice": 13, "rtprio": 14, "rttime": 15,
    ]

    public static func parse(_ text: String) throws -> ResourceLimit {
        let nameValue = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard nameValue.count == 2, let resource = resources[String(nameValue[0])] else {
            throw SandboxError.invalidOption("invalid ulimit argument: \(text): expected NAME=SOFT[:HARD], NAME one of \(resources.keys.sorted().joined(separator: ", "))")
        }
        let values = nameValue[1].split(separator: ":", omittingEmptySubsequences: false)
        func value(_ s: Substring) throws -> UInt64 {
            if s == "-1" || s == "unlimited" { return UInt64.max }
            guard let v = UInt64(s) else { throw SandboxError.invalidOption("invalid ulimit argument: \(text): '\(s)' is not a number") }
            return v
        }
        guard values.count == 1 || values.count == 2 else {
            throw SandboxError.invalidOption("invalid ulimit argument: \(text): expected NAME=SOFT[:HARD]")
        }
        let soft = try value(values[0])
        let hard = values.count == 2 ? try value(values[1]) : soft
        guard soft <= hard else {
            throw SandboxError.invalidOption("ulimit error: soft limit \(soft) for \(nameValue[0]) is above the hard limit \(hard)")
        }
        return ResourceLimit(resource: resource, soft: soft, hard: hard)
    }
}

/// The seccomp profile a container asked for with `--security-opt seccomp=`.
public enum SeccompChoice: Equatable {
    /// profiles/default.json
    case defaultProfile
    case unconfined
    /// A file path or a profile name (found by the Seccomp module).
    case profile(String)
}

/// `--security-opt` values that hutch understands.
public struct SecurityOptions: Equatable {
    public var seccomp: SeccompChoice = .defaultProfile
    public var noNewPrivileges = true

    public init() {}

    /// Whether one of `options` chooses a seccomp profile (`seccomp=...`).
    public static func choosesSeccomp(_ options: [String]) -> Bool {
        options.contains { $0.hasPrefix("seccomp=") || $0.hasPrefix("seccomp:") || $0 == "seccomp" }
    }

    /// `options` with `seccomp=PROFILE` added when none of them chooses a
    /// profile: the config file's default, which `--security-opt` overrides.
    /// "default" adds nothing, so a record shows only what changed.
    public static func addingDefaultSeccomp(_ profile: String, to options: [String]) -> [String] {
        guard profile != "default", !choosesSeccomp(options) else { return options }
        return options + ["seccomp=" + profile]
    }

    public static func parse(_ options: [String]) throws -> SecurityOptions {
        var result = SecurityOptions()
        for option in options {
            let kv = option.split(separator: option.contains("=") ? "=" : ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            switch (kv[0], kv.count == 2 ? kv[1] : nil) {
            case ("seccomp", let value?) where !value.isEmpty:
                result.seccomp = value == "unconfined" ? .unconfined : .profile(value)
            case ("no-new-privileges", nil), ("no-new-privileges", "true"):
                result.noNewPrivileges = true
            case ("no-new-privileges", "false"):
                // hutch always sets no_new_privs (see docs/run.md); the value is kept for callers.
                result.noNewPrivileges = false
            case ("apparmor", _?), ("label", _?):
                break // no LSM here to configure; Docker accepts these, so do we.
            default:
                throw SandboxError.invalidOption("invalid --security-opt: \(option): expected seccomp=unconfined|FILE|NAME or no-new-privileges[=true|false]")
            }
        }
        return result
    }
}

/// Environment variables from `-e` and `--env-file`, as Docker reads them.
public enum EnvironmentOption {
    /// `KEY=VAL` as is; `KEY` alone takes the host's value, or is left out.
    public static func resolve(_ entry: String, host: (String) -> String?) throws -> String? {
        let key = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard !key.isEmpty else { throw SandboxError.invalidOption("invalid environment variable: \(entry)") }
        if entry.contains("=") { return entry }
        guard let value = host(String(key)) else { return nil }
        return "\(key)=\(value)"
    }

    /// An env file: one KEY=VAL or KEY per line, `#` comments and blank lines skipped.
    public static func parseFile(_ text: String, path: String, host: (String) -> String?) throws -> [String] {
        var result: [String] = []
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            var line = Substring(raw)
            if line.hasSuffix("\r") { line = line.dropLast() }
            while line.first == " " || line.first == "\t" { line = line.dropFirst() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            let key = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            if key.isEmpty || key.contains(" ") || key.contains("\t") || line.contains("\0") {
                throw SandboxError.invalidOption("invalid env file \(path), line \(n + 1): variable '\(key)' has white spaces or is empty")
            }
            if let entry = try resolve(String(line), host: host) { result.append(entry) }
        }
        return result
    }
}
