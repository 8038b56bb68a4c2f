/// A failure to start or run a sandbox, with a message the user can act on
/// and the exit code Docker gives for it.
public enum SandboxError: Error, CustomStringConvertible, Equatable {
    /// A bad option value (a volume, an env file, a ulimit): exit 125.
    case invalidOption(String)
    /// The system refused something while setting up: exit 125.
    case setup(String)
    /// The command is not there: exit 127.
    case commandNotFound(String)
    /// The command is there but cannot be run: exit 126.
    case commandNotExecutable(String)

    public var description: String {
        switch self {
        case .invalidOption(let m), .setup(let m), .commandNotFound(let m), .commandNotExecutable(let m): return m
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .invalidOption, .setup: return 125
        case .commandNotFound: return 127
        case .commandNotExecutable: return 126
        }
    }
}
