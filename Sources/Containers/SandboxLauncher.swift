import Foundation
import Sandbox
#if canImport(Glibc)
import Glibc
#endif

/// Starts containers with the Sandbox module: the container's own user,
/// mount, PID, UTS, IPC and (unless --network host) network namespaces, the
/// tiny init as PID 1, capabilities and seccomp as `hutch run` gives them.
public struct SandboxLauncher: ContainerLauncher {
    public init() {}

    final class Child: LaunchedContainer {
        let process: SandboxProcess
        init(_ p: SandboxProcess) { process = p }
        var pid: Int32 { process.pid }
        var terminal: Int32 { process.terminalMaster }
        func wait() -> Int32 { process.wait() }
    }

    public func launch(_ request: LaunchRequest) throws -> LaunchedContainer {
        var spec = try SandboxLauncher.spec(for: request.config, folder: request.folder)
        // `-dt`: the container gets a pty whose master the monitor keeps (as
        // conmon does for podman), so its command sees a terminal; the monitor
        // logs what comes out of it.
        if !request.config.tty {
            spec.stdio = .descriptors(stdin: request.stdin, stdout: request.stdout, stderr: request.stderr)
        }
        // A detached container outlives its monitor (as podman's outlive
        // conmon): ps still tells the truth and rm cleans up.
        spec.dieWithParent = false
        do {
            // The monitor's stderr is the container log's: a warning about
            // syscalls this libseccomp does not know has nowhere better to go.
            _ = try SandboxLauncher.compileSeccomp(&spec, config: request.config)
            return Child(try SandboxProcess.spawn(spec, afterIDMaps: request.beforeCommand))
        } catch let error as SandboxError {
            throw StartError(message: error.description, exitCode: error.exitCode)
        }
    }

    /// Compiles the container's seccomp filter with its chown supervisor
    /// (ChownSupervision.compileSeccomp): image containers on hutch-unionfs
    /// have one; the kernel overlay has no one to record owners.
    public static func compileSeccomp(_ spec: inout SandboxSpec, config: ContainerConfig) throws
        -> (chownSocket: String?, warning: String?) {
        let supervised = config.root.isImage && !config.usesKernelOverlay
        let (socket, warning) = try ChownSupervision.compileSeccomp(&spec, supervisor: supervised ? config.id : nil)
        return (socket, warning)
    }

    /// The sandbox a container's config describes.
    /// `unmounted`: the image container's root is not mounted on the host
    /// (exec: it is mounted in the container's namespace); its /etc/passwd
    /// is then read through the layers.
    public static func spec(for config: ContainerConfig, folder: String, unmounted: Bool = false) throws -> SandboxSpec {
        var options = RunOptions()
        options.env = config.environment
        options.workdir = config.workdir
        options.user = config.user
        options.hostname = config.hostname ?? config.shortID
        options.readOnly = config.readOnly
        options.tmpfs = config.tmpfs
        options.capAdd = config.capAdd
        options.capDrop = config.capDrop
        options.securityOpts = config.securityOpts
        // A private network starts as a namespace with only loopback; pasta
        // adds the rest from the parent before the command runs.
        options.network = config.network == "host" ? "host" : "none"
        options.userns = config.userns
        options.ulimits = config.ulimits
        options.tty = config.tty
        options.volumes = config.volumes + [
            "\(folder)/hosts:/etc/hosts", "\(folder)/hostname:/etc/hostname", "\(folder)/resolv.conf:/etc/resolv.conf",
        ]
        let rootfs: String
        switch config.root {
        case .folder(let path): rootfs = path
        case .image: rootfs = folder + "/merged"
        }
        do {
            var files: ((String) -> String?)?
            if unmounted, case .image(let layers) = config.root {
                files = { ImageRootfs.readFile($0, layers: layers, folder: folder) }
            }
            return try SandboxSpec.forRootfs(rootfs, command: config.command, options: options, files: files)
        } catch let error as SandboxError {
            throw StartError(message: error.description, exitCode: error.exitCode)
        }
    }
}

extension StartError {
    public init(_ error: SandboxError) { self.init(message: error.description, exitCode: error.exitCode) }
}
