import Sandbox
import Seccomp

extension SandboxSpec {
    /// Compiles the seccomp profile the container asked for (the default
    /// one unless `--security-opt seccomp=...` said otherwise) for its final
    /// capability set, so includes/excludes by capability resolve as Docker
    /// resolves them. The BPF is installed by the child, last, before exec.
    /// Returns the one-line warning for syscalls this libseccomp does not know.
    @discardableResult
    /// `notifyingChown`: the chown family goes to a supervisor (ChownSupervision).
    public mutating func compileSeccompFilter(library: ProfileLibrary = .standard(),
                                              notifyingChown: Bool = false) throws -> String? {
        let reference: String?
        switch seccomp {
        case .unconfined:
            seccompFilter = nil
            return nil
        case .defaultProfile:
            reference = nil
        case .profile(let value):
            reference = value
        }
        let filter = try Seccomp.seccompFilter(for: reference, target: .host(capabilities: capabilities.capabilityNames),
                                               notifyingChown: notifyingChown, library: library)
        seccompFilter = filter?.bpf
        return filter?.warning
    }
}
