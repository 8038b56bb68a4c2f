import Sandbox
#if canImport(Glibc)
import Glibc
#endif

/// chown in a container whose user namespace maps one id (a user without a
/// subuid range): the kernel refuses any other id before a filesystem sees
/// it, so the seccomp filter notifies the chown family instead, and the
/// container's hutch-unionfs (the one process that can reach the
/// container's files and record their owners) answers, over its control
/// socket. See docs/unionfs.md.
public enum ChownSupervision {
    /// The control socket for container (or build step) `id`: a unix
    /// socket path must stay under 108 bytes, which a store folder may not,
    /// so it lives in the user's runtime folder.
    public static func socketPath(for id: String) throws -> String {
        let dir = try runtimeFolder()
        return dir + "/" + String(id.prefix(24)) + ".sock"
    }

    /// $XDG_RUNTIME_DIR/hutch when that is set, else /tmp/hutch-run-UID;
    /// created 0700 and refused unless it is the user's own.
    static func runtimeFolder() throws -> String {
        let base: String
        if let xdg = getenv("XDG_RUNTIME_DIR").map({ String(cString: $0) }), xdg.hasPrefix("/"), xdg.utf8.count < 60 {
            base = xdg + "/hutch"
        } else {
            base = "/tmp/hutch-run-\(geteuid())"
        }
        if mkdir(base, 0o700) != 0 && errno != EEXIST {
            throw ContainerError.io("cannot create \(base): \(String(cString: strerror(errno)))")
        }
        var st = stat()
        guard lstat(base, &st) == 0, st.st_mode & S_IFMT == S_IFDIR, st.st_uid == geteuid(), st.st_mode & 0o077 == 0 else {
            throw ContainerError.io("\(base) is not a folder of yours with mode 0700: remove it and try again")
        }
        return base
    }

    /// Compiles the spec's seccomp filter (see compileSeccompFilter). With a
    /// `supervisor` id, when the user namespace maps one id and a filter is
    /// wanted, the chown family goes to the chown supervisor: the spec's
    /// listener hook is set to reach its socket, which is returned (the union
    /// daemon the caller starts listens there); nil otherwise. `warning` as
    /// compileSeccompFilter's.
    public static func compileSeccomp(_ spec: inout SandboxSpec, supervisor id: String?) throws
        -> (socket: String?, warning: String?) {
        var socket: String?
        if let id, spec.idMappings.needsChownSupervisor {
            if case .unconfined = spec.seccomp {} else {
                socket = try socketPath(for: id)
                spec.seccompListener = forwarder(to: socket!)
            }
        }
        let warning = try spec.compileSeccompFilter(notifyingChown: socket != nil)
        return (socket, warning)
    }

    /// The hook that hands the container's (or an exec's) seccomp listener
    /// to the daemon at `socketPath`.
    public static func forwarder(to socketPath: String) -> (Int32) -> Void {
        { fd in
            defer { close(fd) }
            try? SeccompListenerForwarder.send(fd: fd, to: socketPath)
        }
    }
}
