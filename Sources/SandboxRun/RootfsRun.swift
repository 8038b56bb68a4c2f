import Sandbox
import Seccomp

/// `hutch run --rootfs DIR [OPTIONS] COMMAND...` without a container record:
/// the spec, its seccomp filter, and the foreground run. The full CLI and
/// the launcher both call this, so the two cannot drift apart.
public enum RootfsRun {
    /// Runs `command` in `rootfs` and returns its exit code (Docker's codes);
    /// `warn` gets the one-line warnings for stderr.
    public static func run(rootfs: String, command: [String], options: RunOptions,
                           warn: (String) -> Void) throws -> Int32 {
        var spec = try SandboxSpec.forRootfs(rootfs, command: command, options: options)
        let filter = try seccompFilter(for: spec)
        spec.seccompFilter = filter?.bpf
        if let warning = filter?.warning { warn(warning) }
        return try Sandbox.run(spec)
    }

    /// The filter `--security-opt seccomp=...` asks for (the default profile
    /// unless told otherwise), resolved for the container's final capability
    /// set as Docker resolves includes/excludes; nil for `unconfined`. (The
    /// Containers module's SeccompSetup does the same for its containers.)
    static func seccompFilter(for spec: SandboxSpec) throws -> CompiledFilter? {
        let reference: String?
        switch spec.seccomp {
        case .unconfined: return nil
        case .defaultProfile: reference = nil
        case .profile(let value): reference = value
        }
        return try Seccomp.seccompFilter(for: reference, target: .host(capabilities: spec.capabilities.capabilityNames))
    }

    /// The line and exit code the CLI reports a failure with: the Sandbox
    /// module's own code (125, 126, 127), else 125.
    public static func failure(_ error: Error) -> (message: String, exitCode: Int32) {
        if let error = error as? SandboxError { return (error.description, error.exitCode) }
        return (String(describing: error), 125)
    }
}
