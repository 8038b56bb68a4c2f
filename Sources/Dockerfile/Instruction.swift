/// A typed Dockerfile instruction. Every payload keeps the node it came from
/// (location, flags and arguments as written). Values are as written: the
/// builder expands them with `expanded(env:)` when it reaches the instruction.
public enum Instruction: Equatable, Sendable {
    case from(FromInstruction)
    case run(RunInstruction)
    case cmd(CommandInstruction)
    case entrypoint(CommandInstruction)
    case label(KeyValueInstruction)
    case env(KeyValueInstruction)
    case maintainer(SingleValueInstruction)
    case user(SingleValueInstruction)
    case workdir(SingleValueInstruction)
    case stopSignal(SingleValueInstruction)
    case expose(ListInstruction)
    case volume(ListInstruction)
    case add(AddInstruction)
    case copy(CopyInstruction)
    case arg(ArgInstruction)
    case onbuild(OnbuildInstruction)
    case healthcheck(HealthcheckInstruction)
    case shell(ShellInstruction)

    public var node: InstructionNode {
        switch self {
        case .from(let i): return i.node
        case .run(let i): return i.node
        case .cmd(let i), .entrypoint(let i): return i.node
        case .label(let i), .env(let i): return i.node
        case .maintainer(let i), .user(let i), .workdir(let i), .stopSignal(let i): return i.node
        case .expose(let i), .volume(let i): return i.node
        case .add(let i): return i.node
        case .copy(let i): return i.node
        case .arg(let i): return i.node
        case .onbuild(let i): return i.node
        case .healthcheck(let i): return i.node
        case .shell(let i): return i.node
        }
    }

    /// All instruction names, for "did you mean" and ONBUILD checks.
    public static let names = ["ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
                               "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"]
}

/// FROM [--platform=P] IMAGE [AS name]
public struct FromInstruction: Equatable, Sendable {
    public var node: InstructionNode
    /// The image, a stage name, `scratch`, or a stage index; may hold `$ARG`s.
    public var baseName: String
    /// Lowercased, as Docker stores it.
    public var stageName: String?
    public var platform: String?
}

/// The argument form RUN, CMD, ENTRYPOINT and HEALTHCHECK CMD share.
public struct CommandLine: Equatable, Sendable {
    /// JSON form: the argv. Shell form: one string, run by the SHELL.
    public var arguments: [String]
    /// True for the shell form.
    public var prependShell: Bool
}

public struct RunInstruction: Equatable, Sendable {
    public var node: InstructionNode
    public var command: CommandLine
    /// `--mount=...` as written, in order (the builder expands them with `RunMount.parse`).
    public var mountSpecs: [String]
    /// The mounts parsed without expansion (values with `$` are checked at build time).
    public var mounts: [RunMount]
    /// `none`, `host` or `default`; nil when not given.
    public var network: String?
    /// `sandbox` or `insecure`; nil when not given.
    public var security: String?
    public var heredocs: [Heredoc] { node.heredocs }
}

public struct CommandInstruction: Equatable, Sendable {
    public var node: InstructionNode
    public var command: CommandLine
}

public struct KeyValuePair: Equatable, Sendable {
    public var key: String
    public var value: String
    public init(key: String, value: String) { self.key = key; self.value = value }
}

/// LABEL and ENV.
public struct KeyValueInstruction: Equatable, Sendable {
    public var node: InstructionNode
    public var pairs: [KeyValuePair]
    /// `ENV key value` (the old form: the value is everything after the key, unquoted).
    public var legacyForm: Bool
}

/// MAINTAINER, USER, WORKDIR, STOPSIGNAL.
public struct SingleValueInstruction: Equatable, Sendable {
    public var node: InstructionNode
    public var value: String
}

/// EXPOSE ports, VOLUME paths.
public struct ListInstruction: Equatable, Sendable {
    public var node: InstructionNode
    public var values: [String]
}

public struct AddInstruction: Equatable, Sendable {
    public var node: InstructionNode
    public var sources: [String]
    public var destination: String
    public var chown: String?
    public var chmod: String?
    public var checksum: String?
    public var link: Bool
    public var keepGitDir: Bool
    public var excludes: [String]
    public var heredocs: [Heredoc] { node.heredocs }
}

public struct CopyInstruction: Equatable, Sendable {
    public var node: InstructionNode
    public var sources: [String]
    public var destination: String
    /// `--from`: a stage name, a stage index or an image.
    public var from: String?
    public var chown: String?
    public var chmod: String?
    public var link: Bool
    public var parents: Bool
    public var excludes: [String]
    public var heredocs: [Heredoc] { node.heredocs }
}

public struct ArgDefinition: Equatable, Sendable {
    public var name: String
    /// nil for `ARG NAME` (no default), "" for `ARG NAME=`.
    public var defaultValue: String?
    public init(name: String, defaultValue: String?) { self.name = name; self.defaultValue = defaultValue }
}

public struct ArgInstruction: Equatable, Sendable {
    public var node: InstructionNode
    public var definitions: [ArgDefinition]
}

public struct OnbuildInstruction: Equatable, Sendable {
    public var node: InstructionNode
    /// The trigger as written after ONBUILD: what goes in the image config.
    public var expression: String
    /// The trigger's name in capitals (`RUN`).
    public var triggerName: String
}

public struct HealthcheckInstruction: Equatable, Sendable {
    public var node: InstructionNode
    /// `["NONE"]`, `["CMD", argv...]` or `["CMD-SHELL", command]`, as in the image config.
    public var test: [String]
    /// Nanoseconds; 0 when not given (the runtime default applies).
    public var interval: Int64
    public var timeout: Int64
    public var startPeriod: Int64
    public var startInterval: Int64
    /// 0 when not given.
    public var retries: Int
    public var isNone: Bool { test == ["NONE"] }
}

public struct ShellInstruction: Equatable, Sendable {
    public var node: InstructionNode
    public var shell: [String]
}
