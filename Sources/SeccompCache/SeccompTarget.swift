#if canImport(Glibc)
import Glibc
#endif

/// The container a profile is resolved for: its capability set, the
/// machine's architecture and kernel, which decide the includes/excludes.
public struct SeccompTarget: Hashable, Sendable {
    /// Capability names, `CAP_` prefixed and upper case.
    public var capabilities: Set<String>
    /// The Go/OCI architecture name (`amd64`, `arm64`, ...), as Docker's profiles use.
    public var architecture: String
    public var kernel: KernelVersion

    public init(capabilities: some Sequence<String>, architecture: String, kernel: KernelVersion) {
        self.capabilities = Set(capabilities.map(SeccompTarget.capabilityName))
        self.architecture = SeccompTarget.architectureName(architecture)
        self.kernel = kernel
    }

    /// This machine, for a container with `capabilities`.
    public static func host(capabilities: some Sequence<String> = SeccompTarget.dockerDefaultCapabilities) -> SeccompTarget {
        var u = utsname()
        uname(&u)
        let machine = withUnsafeBytes(of: &u.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let release = withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return SeccompTarget(capabilities: capabilities, architecture: machine,
                             kernel: KernelVersion(release) ?? KernelVersion(major: 0, minor: 0))
    }

    /// Docker's default capability set for a container.
    public static let dockerDefaultCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    /// `sys_admin` and `CAP_SYS_ADMIN` are the same capability.
    public static func capabilityName(_ name: String) -> String {
        let upper = name.uppercased()
        return upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
    }

    /// uname's machine names and Go's names mean the same architectures.
    public static func architectureName(_ name: String) -> String {
        switch name.lowercased() {
        case "x86_64", "amd64", "scmp_arch_x86_64": return "amd64"
        case "i386", "i486", "i586", "i686", "x86", "386", "scmp_arch_x86": return "386"
        case "x32", "scmp_arch_x32": return "x32"
        case "aarch64", "arm64", "scmp_arch_aarch64": return "arm64"
        case "armv7l", "armv6l", "arm", "scmp_arch_arm": return "arm"
        case "ppc64le", "scmp_arch_ppc64le": return "ppc64le"
        case "s390x", "scmp_arch_s390x": return "s390x"
        case "riscv64", "scmp_arch_riscv64": return "riscv64"
        case "mips64", "scmp_arch_mips64": return "mips64"
        case "mips64le", "mips64el", "scmp_arch_mipsel64": return "mips64le"
        default: return name.lowercased()
        }
    }

    /// The libseccomp name of the native architecture, as archMap spells it.
    public var seccompArchitecture: String {
        switch architecture {
        case "amd64": return "SCMP_ARCH_X86_64"
        case "386": return "SCMP_ARCH_X86"
        case "x32": return "SCMP_ARCH_X32"
        case "arm64": return "SCMP_ARCH_AARCH64"
        case "arm": return "SCMP_ARCH_ARM"
        case "ppc64le": return "SCMP_ARCH_PPC64LE"
        case "s390x": return "SCMP_ARCH_S390X"
        case "riscv64": return "SCMP_ARCH_RISCV64"
        case "mips64": return "SCMP_ARCH_MIPS64"
        case "mips64le": return "SCMP_ARCH_MIPSEL64"
        default: return "SCMP_ARCH_" + architecture.uppercased()
        }
    }
}

/// A kernel release as `major.minor[.patch]`, compared numerically.
public struct KernelVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(major: Int, minor: Int, patch: Int = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses "6.18.44-fc-v669" or "4.8"; nil when it does not start with two numbers.
    public init?(_ text: String) {
        var numbers: [Int] = []
        var current = ""
        for ch in text {
            if ch.isASCII, ch.isNumber { current.append(ch); continue }
            guard !current.isEmpty, let n = Int(current) else { break }
            numbers.append(n)
            current = ""
            if ch != "." || numbers.count == 3 { break }
        }
        if !current.isEmpty, numbers.count < 3, let n = Int(current) { numbers.append(n) }
        guard numbers.count >= 2 else { return nil }
        self.init(major: numbers[0], minor: numbers[1], patch: numbers.count > 2 ? numbers[2] : 0)
    }

    public static func < (a: KernelVersion, b: KernelVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }
}
