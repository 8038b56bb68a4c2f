/// What the kernel does when a rule matches: the `SCMP_ACT_*` names of the
/// JSON format, with the errno (or trace message) they carry.
public enum SeccompAction: Hashable, Sendable, CustomStringConvertible {
    case allow
    case errno(UInt32)
    case killThread
    case killProcess
    case trap
    case trace(UInt32)
    case log
    case notify

    /// The action names the JSON format accepts.
    public static let names = ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD",
                               "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_LOG",
                               "SCMP_ACT_NOTIFY"]

    /// Parses `SCMP_ACT_ERRNO` and friends; an errno action without errnoRet
    /// returns EPERM, as runc does.
    public init?(name: String, errnoRet: UInt32?) {
        switch name {
        case "SCMP_ACT_ALLOW": self = .allow
        case "SCMP_ACT_ERRNO": self = .errno(errnoRet ?? 1)
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": self = .killThread
        case "SCMP_ACT_KILL_PROCESS": self = .killProcess
        case "SCMP_ACT_TRAP": self = .trap
        case "SCMP_ACT_TRACE": self = .trace(errnoRet ?? 1)
        case "SCMP_ACT_LOG": self = .log
        case "SCMP_ACT_NOTIFY": self = .notify
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .allow: return "SCMP_ACT_ALLOW"
        case .errno: return "SCMP_ACT_ERRNO"
        case .killThread: return "SCMP_ACT_KILL_THREAD"
        case .killProcess: return "SCMP_ACT_KILL_PROCESS"
        case .trap: return "SCMP_ACT_TRAP"
        case .trace: return "SCMP_ACT_TRACE"
        case .log: return "SCMP_ACT_LOG"
        case .notify: return "SCMP_ACT_NOTIFY"
        }
    }

    /// The errnoRet to write back in JSON, for the actions that carry one.
    public var errnoRet: UInt32? {
        switch self {
        case .errno(let e), .trace(let e): return e
        default: return nil
        }
    }

    public var description: String {
        if let e = errnoRet { return "\(name)(\(e))" }
        return name
    }
}

/// The `op` of an argument condition.
public enum ComparisonOperator: String, CaseIterable, Sendable {
    case notEqual = "SCMP_CMP_NE"
    case less = "SCMP_CMP_LT"
    case lessOrEqual = "SCMP_CMP_LE"
    case equal = "SCMP_CMP_EQ"
    case greaterOrEqual = "SCMP_CMP_GE"
    case greater = "SCMP_CMP_GT"
    case maskedEqual = "SCMP_CMP_MASKED_EQ"
}
