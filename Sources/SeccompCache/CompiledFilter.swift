import CSeccomp
#if canImport(Glibc)
import Glibc
#endif

/// A compiled filter: raw `struct sock_filter` instructions (8 bytes each,
/// native byte order), ready for seccomp(SECCOMP_SET_MODE_FILTER), plus the
/// one warning line about syscalls this libseccomp could not name.
public struct CompiledFilter: Equatable, Sendable {
    public var bpf: [UInt8]
    /// Syscall names the profile uses that this libseccomp does not know (skipped, as runc does).
    public var unknownSyscalls: [String]

    public init(bpf: [UInt8], unknownSyscalls: [String]) {
        self.bpf = bpf
        self.unknownSyscalls = unknownSyscalls
    }

    public var instructionCount: Int { bpf.count / 8 }

    /// One line for stderr, or nil when every name was known.
    public var warning: String? {
        guard !unknownSyscalls.isEmpty else { return nil }
        return "WARNING: seccomp: skipped \(unknownSyscalls.count) syscall(s) that libseccomp \(libseccompVersion) does not know: "
            + unknownSyscalls.joined(separator: ", ")
    }
}

/// "2.5.4": the libseccomp this binary runs with (part of the cache key).
public var libseccompVersion: String {
    guard let v = seccomp_version() else { return "unknown" }
    return "\(v.pointee.major).\(v.pointee.minor).\(v.pointee.micro)"
}
