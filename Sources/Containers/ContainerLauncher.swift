import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts a container's process for the monitor. Where the stdio goes, and
/// a hook run once the namespaces exist but before the command runs (to
/// attach the network and the cgroup).
public struct LaunchRequest {
    public var config: ContainerConfig
    public var folder: String
    public var stdin: Int32
    public var stdout: Int32
    public var stderr: Int32
    public var beforeCommand: (Int32) throws -> Void

    public init(config: ContainerConfig, folder: String, stdin: Int32, stdout: Int32, stderr: Int32,
                beforeCommand: @escaping (Int32) throws -> Void) {
        self.config = config; self.folder = folder
        self.stdin = stdin; self.stdout = stdout; self.stderr = stderr
        self.beforeCommand = beforeCommand
    }
}

/// A started container: its init's pid and how to wait for it.
public protocol LaunchedContainer: AnyObject {
    var pid: Int32 { get }
    /// With `-t`, the master of the container's pty (owned by this object,
    /// valid while it lives): the container's output comes from there, not
    /// from the request's stdout and stderr. -1 without a terminal.
    var terminal: Int32 { get }
    /// Blocks until it ends; the exit code (128+N for signal N).
    func wait() -> Int32
}

extension LaunchedContainer {
    public var terminal: Int32 { -1 }
}

/// What turns a LaunchRequest into a process; the Sandbox in the CLI, a
/// stand-in before it exists (see `UnshareLauncher`).
public protocol ContainerLauncher {
    func launch(_ request: LaunchRequest) throws -> LaunchedContainer
}

/// Stand-in launcher on util-linux's unshare (user, mount, pid, uts, ipc and
/// net namespaces, chroot into a folder rootfs). Used only until the
/// Sandbox module's spawn is wired in.
public struct UnshareLauncher: ContainerLauncher {
    public init() {}

    final class Child: LaunchedContainer {
        let pid: Int32
        init(pid: Int32) { self.pid = pid }
        func wait() -> Int32 { Subprocess.waitStatus(pid) }
    }

    public func launch(_ request: LaunchRequest) throws -> LaunchedContainer {
        guard case .folder(let rootfs) = request.config.root else {
            throw ContainerError.invalidOption("images need the Sandbox launcher")
        }
        var argv = ["/usr/bin/unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", "--kill-child",
                    "--uts", "--ipc", "--mount-proc", "--root=\(rootfs)", "--wd=\(request.config.workdir ?? "/")"]
        if request.config.network != "host" { argv.append("--net") }
        argv += ["/usr/bin/env", "-i"] + request.config.environment + request.config.command
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, request.stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, request.stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, request.stderr, 2)
        var cargs = argv.map { strdup($0) }
        cargs.append(nil)
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, &cargs, environ)
        guard rc == 0 else { throw ContainerError.monitor("cannot run unshare: \(String(cString: strerror(rc)))") }
        // unshare makes the namespaces before it forks the command; give it a moment is not
        // enough, so wait until its net namespace differs from ours.
        let ours = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")) ?? ""
        for _ in 0..<500 {
            let theirs = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")) ?? ours
            if theirs != ours || request.config.network == "host" { break }
            usleep(1000)
        }
        do { try request.beforeCommand(pid) } catch {
            kill(pid, SIGKILL)
            _ = Subprocess.waitStatus(pid)
            throw error
        }
        return Child(pid: pid)
    }
}
