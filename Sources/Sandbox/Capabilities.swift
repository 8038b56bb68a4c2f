/// A set of Linux capabilities, bit N for capability number N.
public struct CapabilitySet: Equatable, CustomStringConvertible {
    public var bits: UInt64

    public init(bits: UInt64 = 0) { self.bits = bits }

    public init(_ names: [String]) throws {
        bits = 0
        for name in names { bits |= 1 << UInt64(try CapabilitySet.number(of: name)) }
    }

    /// The capability names the kernel knows, in number order (CAP_CHOWN is 0).
    public static let names: [String] = [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
        "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
        "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
        "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
        "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
        "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
    ]

    public static let all = CapabilitySet(bits: (1 << UInt64(names.count)) - 1)

    /// Docker's default set for a container's root.
    public static let dockerDefault = try! CapabilitySet([
        "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
        "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
    ])

    /// "net_admin", "CAP_NET_ADMIN" and "Net_Admin" all name the same capability.
    public static func number(of name: String) throws -> Int {
        var upper = name.uppercased()
        if upper.hasPrefix("CAP_") { upper.removeFirst(4) }
        guard let index = names.firstIndex(of: upper) else {
            throw SandboxError.invalidOption("unknown capability: \"\(name)\"")
        }
        return index
    }

    public func contains(_ number: Int) -> Bool { bits & (1 << UInt64(number)) != 0 }

    /// Docker's rules: ALL in --cap-add starts from every capability, ALL in
    /// --cap-drop from none; then the named ones are added and dropped.
    public static func resolve(base: CapabilitySet = .dockerDefault, add: [String], drop: [String]) throws -> CapabilitySet {
        let isAll = { (s: String) in s.uppercased() == "ALL" || s.uppercased() == "CAP_ALL" }
        var set = base
        if drop.contains(where: isAll) { set = CapabilitySet() }
        if add.contains(where: isAll) { set = .all }
        let added = try CapabilitySet(add.filter { !isAll($0) })
        let dropped = try CapabilitySet(drop.filter { !isAll($0) })
        set.bits |= added.bits
        set.bits &= ~dropped.bits
        return set
    }

    /// The capabilities in the set, `CAP_` prefixed, in number order.
    public var capabilityNames: [String] {
        (0..<CapabilitySet.names.count).filter(contains).map { "CAP_" + CapabilitySet.names[$0] }
    }

    public var description: String {
        capabilityNames.joined(separator: ",")
    }
}
