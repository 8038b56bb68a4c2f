import CSeccomp
import Foundation

/// What `hutch profile check` found in one file: errors make the profile
/// unusable; warnings (a syscall this libseccomp does not know, an unknown
/// key Docker would ignore) do not.
public struct CheckReport: Sendable {
    public var errors: [ProfileError] = []
    public var warnings: [String] = []
    public var isValid: Bool { errors.isEmpty }
}

/// Checks a profile file the way a user needs before handing it to a container.
public enum ProfileChecker {
    public static func check(file path: String, library: ProfileLibrary,
                             target: SeccompTarget = .host()) -> CheckReport {
        var report = CheckReport()
        guard let data = FileManager.default.contents(atPath: path) else {
            report.errors.append(ProfileError("cannot read the profile file (missing or unreadable)", file: path))
            return report
        }
        let profile: SeccompProfile
        do { profile = try ProfileDecoder.decode(data) } catch let e as ProfileError {
            report.errors.append(e.in(file: path))
            return report
        } catch {
            report.errors.append(ProfileError("\(error)", file: path))
            return report
        }
        check(profile, into: &report)
        report.warnings += unknownKeys(in: data)
        for i in report.errors.indices { report.errors[i] = report.errors[i].in(file: path) }
        guard report.isValid else { return report }
        // The whole chain, resolved and compiled for this machine, must work too.
        do {
            let flat = try library.load(file: path)
            let compiled = try flat.resolved(for: target).compileBPF()
            _ = compiled
        } catch let e as ProfileError {
            report.errors.append(e.in(file: path))
        } catch {
            report.errors.append(ProfileError("\(error)", file: path))
        }
        return report
    }

    /// The checks on one file's own content (not what it extends).
    public static func check(_ profile: SeccompProfile, into report: inout CheckReport) {
        if let name = profile.defaultAction {
            if SeccompAction(name: name, errnoRet: nil) == nil {
                report.errors.append(ProfileError(unknownActionMessage(name), path: "defaultAction"))
            }
        } else if profile.extends == nil {
            report.errors.append(ProfileError("missing defaultAction (SCMP_ACT_ERRNO for an allow-list, SCMP_ACT_ALLOW for a deny-list)"))
        }
        if let base = profile.extends {
            do { try ProfileLibrary.validate(name: base) } catch let e as ProfileError {
                report.errors.append(ProfileError(e.message, path: "extends"))
            } catch {}
        }
        for (i, arch) in (profile.architectures ?? []).enumerated() {
            checkArchitecture(arch, path: "architectures[\(i)]", into: &report)
        }
        for (i, group) in (profile.archMap ?? []).enumerated() {
            checkArchitecture(group.architecture, path: "archMap[\(i)].architecture", into: &report)
            for (j, sub) in (group.subArchitectures ?? []).enumerated() {
                checkArchitecture(sub, path: "archMap[\(i)].subArchitectures[\(j)]", into: &report)
            }
        }
        for (i, name) in (profile.remove ?? []).enumerated() {
            checkSyscall(name, path: "remove[\(i)]", into: &report)
        }
        for (i, rule) in (profile.syscalls ?? []).enumerated() {
            let path = "syscalls[\(i)]"
            if rule.allNames.isEmpty {
                report.errors.append(ProfileError("a rule needs \"names\" (a list of syscalls)", path: path))
            }
            if let name = rule.name { checkSyscall(name, path: path + ".name", into: &report) }
            for (j, name) in (rule.names ?? []).enumerated() {
                checkSyscall(name, path: "\(path).names[\(j)]", into: &report)
            }
            if SeccompAction(name: rule.action, errnoRet: nil) == nil {
                report.errors.append(ProfileError(unknownActionMessage(rule.action), path: path + ".action"))
            }
            for (j, arg) in (rule.args ?? []).enumerated() {
                if ComparisonOperator(rawValue: arg.op) == nil {
                    report.errors.append(ProfileError(unknownOperatorMessage(arg.op), path: "\(path).args[\(j)].op"))
                }
                if arg.index > 5 {
                    report.errors.append(ProfileError("argument index \(arg.index) is out of range: syscalls take arguments 0 to 5",
                                                      path: "\(path).args[\(j)].index"))
                }
            }
            for (label, filter) in [("includes", rule.includes), ("excludes", rule.excludes)] {
                guard let filter else { continue }
                if let min = filter.minKernel, !min.isEmpty, KernelVersion(min) == nil {
                    report.errors.append(ProfileError("\"\(min)\" is not a kernel version (like \"4.8\")",
                                                      path: "\(path).\(label).minKernel"))
                }
                for (k, cap) in (filter.caps ?? []).enumerated() where !knownCapabilities.contains(SeccompTarget.capabilityName(cap)) {
                    let hint = nearest(to: SeccompTarget.capabilityName(cap), in: knownCapabilities).map { " (did you mean \"\($0)\"?)" } ?? ""
                    report.errors.append(ProfileError("\"\(cap)\" is not a Linux capability\(hint)", path: "\(path).\(label).caps[\(k)]"))
                }
            }
        }
    }

    private static func checkSyscall(_ name: String, path: String, into report: inout CheckReport) {
        if linuxSyscallNames.contains(name) {
            if !libseccompKnows(name) {
                report.warnings.append("\(path): \"\(name)\" is a Linux syscall libseccomp \(libseccompVersion) does not know; it will be skipped")
            }
            return
        }
        if libseccompKnows(name) { return }
        let hint = nearest(to: name, in: linuxSyscallNames).map { " (did you mean \"\($0)\"?)" } ?? ""
        report.errors.append(ProfileError("\"\(name)\" is not a Linux syscall\(hint)", path: path))
    }

    private static func checkArchitecture(_ name: String, path: String, into report: inout CheckReport) {
        let short = name.hasPrefix("SCMP_ARCH_") ? String(name.dropFirst(10)).lowercased() : name.lowercased()
        if seccomp_arch_resolve_name(short) == 0 {
            report.errors.append(ProfileError("\"\(name)\" is not an architecture libseccomp knows (like SCMP_ARCH_X86_64)", path: path))
        }
    }

    /// Known on any architecture this libseccomp supports.
    static func libseccompKnows(_ name: String) -> Bool {
        architectureTokens.contains { seccomp_syscall_resolve_name_arch($0, name) != __NR_SCMP_ERROR }
    }

    private static let architectureNames: [String] = [
        "x86_64", "x86", "x32", "aarch64", "arm", "mips", "mips64", "mips64n32", "mipsel", "mipsel64",
        "mipsel64n32", "ppc", "ppc64", "ppc64le", "s390", "s390x", "riscv64", "parisc", "parisc64",
    ]
    private static let architectureTokens: [UInt32] = architectureNames.map { seccomp_arch_resolve_name($0) }.filter { $0 != 0 }

    static let topLevelKeys: Set<String> = ["defaultAction", "defaultErrnoRet", "architectures", "archMap", "syscalls",
                                            "flags", "listenerPath", "listenerMetadata", "extends", "remove", "description"]
    static let ruleKeys: Set<String> = ["names", "name", "action", "errnoRet", "args", "includes", "excludes", "comment"]

    /// Docker ignores keys it does not know, so a typo ("syscals") silently
    /// empties a profile: say so.
    static func unknownKeys(in data: Data) -> [String] {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        var warnings: [String] = []
        for key in object.keys.sorted() where !topLevelKeys.contains(key) {
            let hint = nearest(to: key, in: topLevelKeys).map { " (did you mean \"\($0)\"?)" } ?? ""
            warnings.append("\(key): unknown key, ignored\(hint)")
        }
        for (i, rule) in ((object["syscalls"] as? [Any]) ?? []).enumerated() {
            guard let rule = rule as? [String: Any] else { continue }
            for key in rule.keys.sorted() where !ruleKeys.contains(key) {
                let hint = nearest(to: key, in: ruleKeys).map { " (did you mean \"\($0)\"?)" } ?? ""
                warnings.append("syscalls[\(i)].\(key): unknown key, ignored\(hint)")
            }
        }
        return warnings
    }

    static let knownCapabilities: Set<String> = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]
}
