/// Ownership changes handed to a supervisor: in a user namespace that maps
/// one id, the kernel refuses `chown(f, 1000, 1000)` with EINVAL before any
/// filesystem sees it. With SCMP_ACT_NOTIFY on the chown family the call
/// goes to hutch-unionfs instead, which records the ownership in the union
/// mount (see UnionFS/ChownSupervisor.swift).
extension ResolvedProfile {
    /// The syscalls that change a file's owner, by libseccomp name. x86_64
    /// and aarch64 have no 32-bit-uid variants (chown32 and friends are
    /// i386/arm only: a compat process keeps the kernel's answer).
    public static let chownSyscalls = ["chown", "fchown", "lchown", "fchownat"]

    /// The same profile with every chown syscall the profile allows going
    /// to the supervisor (SCMP_ACT_NOTIFY) instead. A chown the profile
    /// denies (an errno, kill or trap rule) stays denied; a rule with
    /// argument conditions is left alone, as libseccomp cannot mix it with
    /// an unconditional rule for the same syscall.
    public func notifyingChown() -> ResolvedProfile {
        let family = Set(Self.chownSyscalls)
        var allowed: Set<String> = defaultAction == .allow ? family : []
        var conditional: Set<String> = []
        for rule in rules {
            for name in rule.names where family.contains(name) {
                if !rule.conditions.isEmpty { conditional.insert(name); continue }
                if rule.action == .allow { allowed.insert(name) } else { allowed.remove(name) }
            }
        }
        // The profile's order is kept; the last unconditional rule naming a
        // syscall decides (libseccomp keeps one action per syscall).
        let notified = Self.chownSyscalls.filter { allowed.contains($0) && !conditional.contains($0) }
        guard !notified.isEmpty else { return self }
        var result = self
        result.rules = rules.compactMap { rule in
            guard rule.conditions.isEmpty else { return rule }
            var r = rule
            r.names.removeAll { notified.contains($0) }
            return r.names.isEmpty ? nil : r
        }
        result.rules.append(ResolvedRule(names: notified, action: .notify, conditions: []))
        return result
    }
}

/// The filter for `--security-opt seccomp=VALUE` as `seccompFilter(for:target:)`
/// compiles it, with `notifyingChown` on: chown goes to a supervisor. For
/// a container whose user namespace maps one id only. nil when the value is
/// `unconfined` (no filter: chown then fails as the kernel says).
public func seccompFilter(for reference: String?, target: SeccompTarget, notifyingChown: Bool,
                          library: ProfileLibrary = .standard(),
                          cache: FilterCache? = .standard()) throws -> CompiledFilter? {
    guard notifyingChown else { return try seccompFilter(for: reference, target: target, library: library, cache: cache) }
    guard let profile = try library.load(reference: reference ?? "default") else { return nil }
    let resolved = try profile.resolved(for: target).notifyingChown()
    if let cache { return try cache.filter(for: resolved, target: target) }
    return try resolved.compileBPF()
}
