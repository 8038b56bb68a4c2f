#if canImport(Glibc)
import Glibc
#endif

/// The OS and CPU an image is built for, as an index entry names it.
public struct Platform: Codable, Hashable, Sendable, CustomStringConvertible {
    public var architecture: String
    public var os: String
    public var osVersion: String?
    public var osFeatures: [String]?
    public var variant: String?
    public var features: [String]?

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant, features
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    public init(architecture: String, os: String = "linux", variant: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
    }

    /// Parses `linux/amd64`, `linux/arm64/v8`, `arm64`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), !parts.contains(where: \.isEmpty) else {
            throw OCIError.invalidReference(text, "invalid platform \"\(text)\": use os/arch[/variant], e.g. linux/amd64")
        }
        if parts.count == 1 {
            self.init(architecture: Platform.normalizedArchitecture(parts[0]))
        } else {
            self.init(architecture: Platform.normalizedArchitecture(parts[1]), os: parts[0].lowercased(),
                      variant: parts.count == 3 ? parts[2] : nil)
        }
    }

    public var description: String {
        os + "/" + architecture + (variant.map { "/" + $0 } ?? "")
    }

    /// Go's names for CPUs, which images use.
    public static func normalizedArchitecture(_ arch: String) -> String {
        switch arch.lowercased() {
        case "x86_64", "x86-64", "amd64": return "amd64"
        case "aarch64", "arm64": return "arm64"
        case "i386", "i686", "386": return "386"
        case "armhf", "armv7l", "arm": return "arm"
        case "ppc64le": return "ppc64le"
        case "s390x": return "s390x"
        case "riscv64": return "riscv64"
        default: return arch.lowercased()
        }
    }

    /// The platform this process runs on.
    public static var host: Platform {
        var u = utsname()
        uname(&u)
        let machine = withUnsafeBytes(of: &u.machine) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        let arch = normalizedArchitecture(machine)
        switch arch {
        case "arm64": return Platform(architecture: arch, variant: "v8")
        case "arm": return Platform(architecture: arch, variant: "v7")
        default: return Platform(architecture: arch)
        }
    }

    /// Whether an index entry for `other` can run here: same OS and CPU; the
    /// variant only counts when both name one (arm64 images often omit v8).
    public func matches(_ other: Platform) -> Bool {
        guard os == other.os, architecture == other.architecture else { return false }
        if let v = variant, let w = other.variant { return v == w }
        return true
    }
}
