import Glibc

/// A `--tmpfs PATH[:OPTIONS]` (Docker's form: `--tmpfs /run:rw,size=64m,mode=755`),
/// also what a build's `RUN --mount=type=tmpfs` becomes.
public struct TmpfsOption: Equatable {
    public var path: String
    /// Mount data: mode (default 1777) and size when given.
    public var data: String
    /// Mount flags: nosuid and nodev always; ro and noexec when asked.
    public var flags: UInt

    public static func parse(_ text: String) throws -> TmpfsOption {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let path = parts[0]
        guard path.hasPrefix("/") else {
            throw SandboxError.invalidOption("invalid --tmpfs '\(text)': the path must be absolute")
        }
        var mode = "1777", size: String?
        var flags = UInt(MS_NOSUID) | UInt(MS_NODEV)
        for option in parts.count == 2 ? parts[1].split(separator: ",").map(String.init) : [] {
            let kv = option.split(separator: "=", maxSplits: 1).map(String.init)
            switch (kv[0], kv.count == 2 ? kv[1] : nil) {
            case ("size", let v?) where Self.isSize(v): size = v
            case ("mode", let v?) where !v.isEmpty && v.allSatisfy({ ("0"..."7").contains($0) }) && v.count <= 4: mode = v
            case ("ro", nil): flags |= UInt(MS_RDONLY)
            case ("rw", nil): flags &= ~UInt(MS_RDONLY)
            case ("noexec", nil): flags |= UInt(MS_NOEXEC)
            case ("exec", nil): flags &= ~UInt(MS_NOEXEC)
            case ("nosuid", nil), ("nodev", nil): continue
            default:
                throw SandboxError.invalidOption("invalid --tmpfs '\(text)': unknown or malformed option '\(option)' (size=, mode=, ro, rw, exec, noexec)")
            }
        }
        return TmpfsOption(path: path, data: "mode=\(mode)" + (size.map { ",size=\($0)" } ?? ""), flags: flags)
    }

    /// A number of bytes with an optional k, m or g suffix, as tmpfs reads it.
    static func isSize(_ text: String) -> Bool {
        var digits = Substring(text)
        if let last = digits.last, "kmgKMG".contains(last) { digits = digits.dropLast() }
        return !digits.isEmpty && digits.allSatisfy(\.isNumber) && digits.count <= 18
    }
}
