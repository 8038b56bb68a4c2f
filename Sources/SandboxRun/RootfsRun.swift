import Sandbox
import SeccompCache

/// `hutch run --rootfs DIR [OPTIONS] COMMAND...` without a container record:
/// the spec, its seccomp filter, and the foreground run. The full CLI and
/// the launcher both call this, so the two cannot drift apart; they differ
/// only in where the filter comes from (the launcher has the FilterIndex
/// alone, and hands a miss to the full CLI, which compiles and records).
public enum RootfsRun {
    /// Runs `command` in `rootfs` and returns its exit code (Docker's codes).
    /// `filter` gives the compiled filter for a profile reference (nil: the
    /// default profile) and target; `warn` gets one-line warnings for stderr.
    public static func run(rootfs: String, command: [String], options: RunOptions,
                           filter: (_ reference: String?, _ target: SeccompTarget) throws -> CompiledFilter?,
                           warn: (String) -> Void) throws -> Int32 {
        var spec = try SandboxSpec.forRootfs(rootfs, command: command, options: options)
        // As Docker: includes/excludes by capability follow the final capability set.
        let target = SeccompTarget.host(capabilities: spec.capabilities.capabilityNames)
        let compiled: CompiledFilter?
        switch spec.seccomp {
        case .unconfined: compiled = nil
        case .defaultProfile: compiled = try filter(nil, target)
        case .profile(let value): compiled = try filter(value, target)
        }
        spec.seccompFilter = compiled?.bpf
        if let warning = compiled?.warning { warn(warning) }
        return try Sandbox.run(spec)
    }

    /// The line and exit code the CLI reports a failure with: the Sandbox
    /// module's own code (125, 126, 127), else 125.
    public static func failure(_ error: Error) -> (message: String, exitCode: Int32) {
        if let error = error as? SandboxError { return (error.description, error.exitCode) }
        return (String(describing: error), 125)
    }
}
