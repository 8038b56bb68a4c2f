#if canImport(Glibc)
import Glibc
#endif

/// Runs a container in the foreground, as `hutch run` does: relays the
/// terminal (`-t`), forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and
/// SIGUSR2 to the container, and returns its exit code (128+N for signal N).
/// `afterIDMaps` is `SandboxProcess.spawn`'s hook (pasta, cgroups);
/// `started` is called once the command runs (to record the container's pid).
public func run(_ spec: SandboxSpec, afterIDMaps: ((pid_t) throws -> Void)? = nil,
                started: ((SandboxProcess) -> Void)? = nil) throws -> Int32 {
    // Docker refuses too: a pty cannot pass on the end of a piped input
    // reliably, so the container would wait for more forever.
    if spec.stdio == .terminal && spec.interactive && isatty(0) == 0 { throw SandboxError.inputNotATerminal }
    let supervisor = Supervisor()
    let process = try SandboxProcess.spawn(spec, afterIDMaps: afterIDMaps)
    started?(process)
    return supervisor.supervise(process, interactive: spec.interactive)
}

extension SandboxSpec {
    /// `Sandbox.run(self)`.
    public func run() throws -> Int32 { try Sandbox.run(self) }
    /// `SandboxProcess.spawn(self)`.
    public func spawn() throws -> SandboxProcess { try SandboxProcess.spawn(self) }
}
