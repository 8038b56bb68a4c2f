/// A seccomp profile in the Docker/OCI JSON format, so that Docker's and
/// podman's profiles load unchanged, plus two hutch extensions:
/// `"extends": "NAME"` (start from another profile) and `"remove": [names]`
/// (drop every inherited rule for these syscalls before adding our own).
///
/// Unknown keys are ignored, as Docker does; `hutch profile check` reports them.
public struct SeccompProfile: Codable, Equatable, Sendable {
    public var defaultAction: String?
    public var defaultErrnoRet: UInt32?
    public var architectures: [String]?
    public var archMap: [ArchitectureGroup]?
    public var syscalls: [SyscallRule]?
    public var flags: [String]?
    public var listenerPath: String?
    public var listenerMetadata: String?
    /// hutch: the profile this one starts from (a name, resolved like `--security-opt seccomp=NAME`).
    public var extends: String?
    /// hutch: syscalls whose inherited rules are dropped before this profile's rules are added.
    public var remove: [String]?
    /// hutch: one line shown by `hutch profile list`.
    public var description: String?

    public init(defaultAction: String? = nil, defaultErrnoRet: UInt32? = nil, architectures: [String]? = nil,
                archMap: [ArchitectureGroup]? = nil, syscalls: [SyscallRule]? = nil, extends: String? = nil,
                remove: [String]? = nil, description: String? = nil) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.archMap = archMap
        self.syscalls = syscalls
        self.extends = extends
        self.remove = remove
        self.description = description
    }
}

/// One `archMap` entry: a native architecture and the 32-bit ABIs its kernel
/// also accepts (x86 and x32 on x86_64), which a filter must cover too.
public struct ArchitectureGroup: Codable, Equatable, Sendable {
    public var architecture: String
    public var subArchitectures: [String]?

    public init(architecture: String, subArchitectures: [String]? = nil) {
        self.architecture = architecture
        self.subArchitectures = subArchitectures
    }
}

/// One entry of `syscalls`: an action for some syscall names, optionally only
/// when the arguments match and only for some capabilities, arches or kernels.
public struct SyscallRule: Codable, Equatable, Sendable {
    public var names: [String]?
    /// The pre-2017 single-name form, still accepted by Docker.
    public var name: String?
    public var action: String
    public var errnoRet: UInt32?
    public var args: [ArgumentCondition]?
    public var includes: RuleFilter?
    public var excludes: RuleFilter?
    public var comment: String?

    public init(names: [String], action: String, errnoRet: UInt32? = nil, args: [ArgumentCondition]? = nil,
                includes: RuleFilter? = nil, excludes: RuleFilter? = nil, comment: String? = nil) {
        self.names = names
        self.action = action
        self.errnoRet = errnoRet
        self.args = args
        self.includes = includes
        self.excludes = excludes
        self.comment = comment
    }

    /// `names` and the old `name`, in order.
    public var allNames: [String] { (name.map { [$0] } ?? []) + (names ?? []) }
}

/// A comparison on one syscall argument (`SCMP_CMP_MASKED_EQ` uses `value` as
/// the mask and `valueTwo` as what the masked argument must equal).
public struct ArgumentCondition: Codable, Equatable, Hashable, Sendable {
    public var index: UInt32
    public var value: UInt64
    public var valueTwo: UInt64?
    public var op: String

    public init(index: UInt32, value: UInt64, valueTwo: UInt64? = nil, op: String) {
        self.index = index
        self.value = value
        self.valueTwo = valueTwo
        self.op = op
    }
}

/// `includes`/`excludes`: a rule applies when the container has all the
/// included caps, runs on an included arch and a kernel at least minKernel;
/// it is dropped when it has any excluded cap, arch, or a kernel at least
/// the excluded minKernel (Docker's semantics).
public struct RuleFilter: Codable, Equatable, Sendable {
    public var arches: [String]?
    public var caps: [String]?
    public var minKernel: String?

    public init(arches: [String]? = nil, caps: [String]? = nil, minKernel: String? = nil) {
        self.arches = arches
        self.caps = caps
        self.minKernel = minKernel
    }

    var isEmpty: Bool { (arches ?? []).isEmpty && (caps ?? []).isEmpty && (minKernel ?? "").isEmpty }
}
