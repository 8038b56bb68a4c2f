import CSandbox
#if canImport(Glibc)
import Glibc
#endif

/// A socket pair a process of the sandbox sends one descriptor back over
/// (csandbox_send_fd): the child end goes into the csandbox_spec, the parent
/// end is read once the sender is past sending (the descriptor is queued).
struct DescriptorChannel {
    private(set) var parentEnd: Int32
    private(set) var childEnd: Int32

    static func make() throws -> DescriptorChannel {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SandboxError.setup("cannot create a socket pair: \(SystemFiles.describe(errno))")
        }
        return DescriptorChannel(parentEnd: fds[0], childEnd: fds[1])
    }

    /// The channel the command sends its seccomp listener over; nil when the
    /// spec asks for no listener (no hook, or no filter).
    static func seccompListener(of spec: SandboxSpec) throws -> DescriptorChannel? {
        guard spec.seccompListener != nil, let filter = spec.seccompFilter, filter.count >= 8 else { return nil }
        return try make()
    }

    /// After the spawn: only the child's copy stays open.
    mutating func closeChildEnd() {
        if childEnd >= 0 { Glibc.close(childEnd); childEnd = -1 }
    }

    /// The descriptor sent, or -1 (errno set) when none was.
    func receive() -> Int32 { csandbox_recv_fd(parentEnd, Int32(MSG_DONTWAIT)) }

    /// Takes the seccomp listener the command sent and gives it to the hook.
    mutating func deliver(to hook: ((Int32) -> Void)?) throws {
        defer { close() }
        let fd = receive()
        guard fd >= 0 else {
            throw SandboxError.setup("the container did not send its seccomp listener: \(SystemFiles.describe(errno))")
        }
        guard let hook else { Glibc.close(fd); return }
        hook(fd)
    }

    mutating func close() {
        closeChildEnd()
        if parentEnd >= 0 { Glibc.close(parentEnd); parentEnd = -1 }
    }
}

/// Hands a seccomp listener to the process that answers its notifications:
/// hutch-unionfs started with `-o control=PATH` (UnionOptions.controlSocket).
public enum SeccompListenerForwarder {
    /// Connects to the unix socket at `socketPath`, sends `fd` (SCM_RIGHTS)
    /// and closes the connection. `fd` stays the caller's to close; the
    /// receiver holds its own copy from the moment this returns.
    public static func send(fd: Int32, to socketPath: String) throws {
        let sock = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard sock >= 0 else { throw SandboxError.setup("cannot create a socket: \(SystemFiles.describe(errno))") }
        defer { Glibc.close(sock) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard path.count < capacity else {
            throw SandboxError.setup("the supervisor socket path is longer than \(capacity - 1) bytes: \(socketPath)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: path)
            raw[path.count] = 0
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(sock, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else {
            throw SandboxError.setup("cannot reach the chown supervisor at \(socketPath): \(SystemFiles.describe(errno))")
        }
        guard csandbox_send_fd(sock, fd) == 0 else {
            throw SandboxError.setup("cannot send the seccomp listener to \(socketPath): \(SystemFiles.describe(errno))")
        }
    }
}

extension IDMappings {
    /// One uid or one gid mapped: a chown to any other id fails in the kernel
    /// (EINVAL), so the container's filter should hand chown to a supervisor
    /// (`seccompFilter(for:target:notifyingChown:)`, `SandboxSpec.seccompListener`).
    public var needsChownSupervisor: Bool {
        uids.reduce(0) { $0 + UInt64($1.count) } <= 1 || gids.reduce(0) { $0 + UInt64($1.count) } <= 1
    }
}
