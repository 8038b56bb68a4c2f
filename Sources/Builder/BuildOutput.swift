import OCI
#if canImport(Glibc)
import Glibc
#endif

/// What a build prints, in the words of Docker's classic builder and
/// podman: a line per step, RUN's output as it comes, "--> Using cache"
/// or the new ID, then "Successfully built" and one "Successfully tagged"
/// per tag. Quiet (-q) prints only the final image ID.
public final class BuildOutput {
    public let quiet: Bool
    let write: (String) -> Void

    public init(quiet: Bool, write: @escaping (String) -> Void = BuildOutput.standardOutput) {
        self.quiet = quiet
        self.write = write
    }

    public static func standardOutput(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(1, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }

    /// "STEP 2/4: WORKDIR /tmp", prefixed "[1/2] " when several stages run.
    public static func stepLine(step: Int, of total: Int, stage: Int, of stages: Int, text: String) -> String {
        let prefix = stages > 1 ? "[\(stage)/\(stages)] " : ""
        return "\(prefix)STEP \(step)/\(total): \(text)\n"
    }

    public func step(_ step: Int, of total: Int, stage: Int, of stages: Int, text: String) {
        guard !quiet else { return }
        write(BuildOutput.stepLine(step: step, of: total, stage: stage, of: stages, text: text))
    }

    public func usingCache(_ id: String) { if !quiet { write("--> Using cache \(id)\n") } }
    public func result(_ id: String) { if !quiet { write("--> \(id)\n") } }
    /// A RUN's own output, passed through as it arrives.
    public func stream(_ text: String) { if !quiet { write(text) } }
    public func warning(_ text: String) { if !quiet { write("[Warning] \(text)\n") } }

    public func finished(imageID: Digest, tags: [String]) {
        if quiet {
            write(imageID.description + "\n")
            return
        }
        write("Successfully built \(imageID.shortHex)\n")
        for tag in tags { write("Successfully tagged \(tag)\n") }
    }
}
