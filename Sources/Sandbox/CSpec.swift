import CSandbox
#if canImport(Glibc)
import Glibc
#endif

/// The C copy of a spec: csandbox_spec and every string and array it points
/// to, alive as long as this object. Built before clone(), so the child
/// only reads memory that is already there.
final class CSpec {
    private(set) var spec = csandbox_spec()
    private var strings: [UnsafeMutablePointer<CChar>] = []
    private var buffers: [UnsafeMutableRawPointer] = []

    init(_ s: SandboxSpec, operations: [MountOperation], ttyFD: Int32, stdinFD: Int32, waitForRelease: Bool = false,
         listenerSocket: Int32 = -1, execTTYSocket: Int32 = -1) {
        spec.new_network = s.network == .none ? 1 : 0
        spec.die_with_parent = s.dieWithParent ? 1 : 0
        spec.wait_for_release = waitForRelease ? 1 : 0
        if !s.idMappings.useHelpers {
            spec.self_uid_map = UnsafePointer(string(IDMappings.mapText(s.idMappings.uids)))
            spec.self_gid_map = UnsafePointer(string(IDMappings.mapText(s.idMappings.gids)))
        }
        spec.loopback_up = s.network == .none ? 1 : 0
        spec.hostname = UnsafePointer(string(s.hostname))

        let ops = allocate(csandbox_op.self, count: operations.count)
        for (i, op) in operations.enumerated() { ops[i] = convert(op) }
        spec.ops = UnsafePointer(ops)
        spec.nops = Int32(operations.count)

        spec.argv = UnsafePointer(stringArray(s.argv))
        spec.envp = UnsafePointer(stringArray(s.environment))
        spec.path = UnsafePointer(string(s.path))
        spec.workdir = UnsafePointer(string(s.workdir))

        spec.uid = s.user.uid
        spec.gid = s.user.gid
        spec.set_groups = s.idMappings.setgroupsAllowed ? 1 : 0
        let groups = allocate(gid_t.self, count: max(s.user.groups.count, 1))
        for (i, g) in s.user.groups.enumerated() { groups[i] = g }
        spec.groups = UnsafePointer(groups)
        spec.ngroups = Int32(s.user.groups.count)

        spec.cap_bounding = s.capabilities.bits
        // A non-root user keeps the bounding set only, as with Docker.
        spec.cap_effective = s.user.uid == 0 ? s.capabilities.bits : 0
        spec.no_new_privs = s.noNewPrivileges ? 1 : 0

        let limits = allocate(csandbox_rlimit.self, count: max(s.rlimits.count, 1))
        for (i, l) in s.rlimits.enumerated() { limits[i] = csandbox_rlimit(resource: l.resource, soft: l.soft, hard: l.hard) }
        spec.rlimits = UnsafePointer(limits)
        spec.nrlimits = Int32(s.rlimits.count)

        if let filter = s.seccompFilter, filter.count >= 8 {
            let bytes = UnsafeMutableRawPointer.allocate(byteCount: filter.count, alignment: 8)
            buffers.append(bytes)
            filter.withUnsafeBytes { bytes.copyMemory(from: $0.baseAddress!, byteCount: filter.count) }
            spec.seccomp_filter = UnsafeRawPointer(bytes)
            spec.seccomp_len = Int32(filter.count / 8)
        }
        spec.seccomp_listener_socket = spec.seccomp_filter != nil ? listenerSocket : -1

        spec.tty_fd = ttyFD
        spec.exec_tty_socket = execTTYSocket
        spec.stdin_fd = stdinFD
        spec.stdout_fd = -1
        spec.stderr_fd = -1
        if case .descriptors(let i, let o, let e) = s.stdio {
            spec.stdin_fd = i
            spec.stdout_fd = o
            spec.stderr_fd = e
        }
    }

    deinit {
        for s in strings { free(s) }
        for b in buffers { b.deallocate() }
    }

    private func string(_ s: String) -> UnsafeMutablePointer<CChar> {
        let p = strdup(s)!
        strings.append(p)
        return p
    }

    private func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<T>.stride * count, alignment: MemoryLayout<T>.alignment)
        memset(raw, 0, MemoryLayout<T>.stride * count)
        buffers.append(raw)
        return raw.assumingMemoryBound(to: T.self)
    }

    private func stringArray(_ items: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        let array = allocate(UnsafeMutablePointer<CChar>?.self, count: items.count + 1)
        for (i, s) in items.enumerated() { array[i] = string(s) }
        array[items.count] = nil
        return array
    }

    private func convert(_ op: MountOperation) -> csandbox_op {
        var c = csandbox_op()
        func str(_ s: String) -> UnsafePointer<CChar> { UnsafePointer(string(s)) }
        switch op {
        case .makePrivate(let target):
            c.kind = Int32(CSANDBOX_OP_PROPAGATION.rawValue); c.target = str(target); c.flags = UInt(MS_REC | MS_PRIVATE)
        case .bind(let source, let target, let recursive, let readOnly):
            c.kind = Int32(CSANDBOX_OP_BIND.rawValue); c.source = str(source); c.target = str(target)
            c.flags = (recursive ? UInt(MS_REC) : 0) | (readOnly ? UInt(MS_RDONLY) : 0)
        case .mount(let fstype, let target, let flags, let data):
            c.kind = Int32(CSANDBOX_OP_MOUNT.rawValue); c.source = str(fstype); c.fstype = str(fstype)
            c.target = str(target); c.flags = flags; c.data = data.isEmpty ? nil : str(data)
        case .mkdir(let target):
            c.kind = Int32(CSANDBOX_OP_MKDIR.rawValue); c.target = str(target); c.flags = 0o755
        case .mkfile(let target):
            c.kind = Int32(CSANDBOX_OP_MKFILE.rawValue); c.target = str(target)
        case .symlink(let text, let at):
            c.kind = Int32(CSANDBOX_OP_SYMLINK.rawValue); c.source = str(text); c.target = str(at)
        case .chdir(let target):
            c.kind = Int32(CSANDBOX_OP_CHDIR.rawValue); c.target = str(target)
        case .pivot:
            c.kind = Int32(CSANDBOX_OP_PIVOT.rawValue)
        case .remountReadOnly(let target):
            c.kind = Int32(CSANDBOX_OP_REMOUNT_RO.rawValue); c.target = str(target)
        case .mask(let target):
            c.kind = Int32(CSANDBOX_OP_MASK.rawValue); c.target = str(target); c.optional = 1
        case .readOnly(let target):
            c.kind = Int32(CSANDBOX_OP_READONLY.rawValue); c.target = str(target); c.optional = 1
        }
        return c
    }
}
