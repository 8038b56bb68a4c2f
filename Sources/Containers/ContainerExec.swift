import Foundation
import Sandbox
#if canImport(Glibc)
import Glibc
#endif

/// `hutch exec`: a command in a running container, in the namespaces of
/// its init, with the container's capabilities, seccomp profile, rlimits
/// and environment (plus `-e`), as its user and in its working folder
/// unless `-u`/`-w` say otherwise.
public struct ExecRequest {
    public var command: [String]
    public var environment: [String] = []
    public var workdir: String?
    public var user: String?
    public var tty = false
    public var interactive = false
    public var detach = false

    public init(command: [String]) { self.command = command }
}

public enum ContainerExec {
    /// Runs `request` in `container`: the command's exit code (0 at once
    /// with `detach`). Docker's codes: 126 not executable, 127 not found.
    public static func run(_ request: ExecRequest, in container: Container, repository: ContainerRepository,
                           warnings: (String) -> Void) throws -> Int32 {
        guard !request.command.isEmpty else {
            throw ContainerError.invalidOption("no command given: hutch exec [OPTIONS] CONTAINER COMMAND [ARG...]")
        }
        let identity = ProcessIdentity(pid: container.state.pid, startTime: container.state.pidStartTime)
        guard container.state.status == .running, identity.isAlive else {
            throw ContainerError.notRunning(container.id)
        }
        var config = container.config
        config.command = request.command
        config.environment += request.environment
        if let w = request.workdir { config.workdir = w }
        if let u = request.user { config.user = u }
        config.tty = request.tty
        var spec: SandboxSpec
        do {
            spec = try SandboxLauncher.spec(for: config, folder: repository.folder(container.id), unmounted: true)
        } catch let e as StartError {
            throw ExecError(message: e.message, exitCode: e.exitCode)
        }
        spec.interactive = request.interactive
        // The container's limits hold for what exec starts too (as runc exec
        // puts its process in the container's cgroup).
        let cgroup = config.limits.isEmpty ? nil : try CgroupDelegation.containerCgroup(of: identity.pid, id: container.id)
        if let warning = try SandboxLauncher.compileSeccomp(&spec, config: config).warning { warnings(warning) }
        do {
            if request.detach {
                let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
                defer { close(devNull) }
                spec.stdio = .descriptors(stdin: devNull, stdout: devNull, stderr: devNull)
                _ = try SandboxProcess.spawn(spec, joining: identity.pid, cgroup: cgroup)
                return 0
            }
            return try Sandbox.exec(spec, joining: identity.pid, cgroup: cgroup)
        } catch let error as SandboxError {
            throw ExecError(message: error.description, exitCode: error.exitCode)
        }
    }
}

/// An exec that could not start: Docker's message and exit code.
public struct ExecError: Error, CustomStringConvertible, ExitCoded {
    public var message: String
    public var exitCode: Int32
    public var description: String { message }
}
