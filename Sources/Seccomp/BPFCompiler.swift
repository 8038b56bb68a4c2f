import CSeccomp
#if canImport(Glibc)
import Glibc
#endif

extension ResolvedProfile {
    /// Compiles the rules with libseccomp and exports the BPF program.
    public func compileBPF() throws -> CompiledFilter {
        guard let ctx = seccomp_init(defaultAction.libseccompValue) else {
            throw SeccompCompileError("libseccomp could not create a filter for \(defaultAction)")
        }
        defer { seccomp_release(ctx) }
        // The kernel checks no_new_privs itself; the sandbox sets it before installing.
        _ = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)

        var tokens: [UInt32] = []
        for name in architectures {
            let short = name.hasPrefix("SCMP_ARCH_") ? String(name.dropFirst(10)).lowercased() : name.lowercased()
            let token = seccomp_arch_resolve_name(short)
            guard token != 0 else { throw SeccompCompileError("libseccomp does not know the architecture \(name)") }
            tokens.append(token)
            let rc = seccomp_arch_add(ctx, token)
            if rc != 0 && rc != -EEXIST { throw SeccompCompileError("libseccomp could not add architecture \(name): \(errorText(rc))") }
        }
        let native = seccomp_arch_native()
        if !tokens.isEmpty && !tokens.contains(native) { _ = seccomp_arch_remove(ctx, native) }

        var unknown: [String] = []
        var seenUnknown = Set<String>()
        for rule in rules where rule.action != defaultAction {
            var comparisons = rule.conditions.map(\.libseccompValue)
            for name in rule.names {
                let nr = seccomp_syscall_resolve_name(name)
                if nr == __NR_SCMP_ERROR {
                    if seenUnknown.insert(name).inserted { unknown.append(name) }
                    continue
                }
                let rc = comparisons.withUnsafeMutableBufferPointer {
                    seccomp_rule_add_array(ctx, rule.action.libseccompValue, nr, UInt32($0.count), $0.baseAddress)
                }
                // A pseudo syscall (negative: not on these arches, e.g. socketcall on arm64) has nothing to filter.
                if rc != 0 && nr >= 0 {
                    throw SeccompCompileError("libseccomp rejected the rule \(rule.action) for \(name)\(rule.conditions.isEmpty ? "" : " with its args"): \(errorText(rc))")
                }
            }
        }
        return CompiledFilter(bpf: try export(ctx), unknownSyscalls: unknown)
    }

    /// libseccomp 2.5 exports only to a file descriptor: a memfd, read back.
    private func export(_ ctx: scmp_filter_ctx) throws -> [UInt8] {
        let fd = cseccomp_memfd("hutch-seccomp")
        guard fd >= 0 else { throw SeccompCompileError("memfd_create failed: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let rc = seccomp_export_bpf(ctx, fd)
        guard rc == 0 else { throw SeccompCompileError("libseccomp could not export the filter: \(errorText(rc))") }
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0, size % 8 == 0 else { throw SeccompCompileError("libseccomp exported \(size) bytes, not a BPF program") }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + offset, $0.count - offset, off_t(offset)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw SeccompCompileError("reading the exported filter failed") }
            offset += n
        }
        return bytes
    }
}

private func errorText(_ rc: Int32) -> String { String(cString: strerror(-rc)) }

extension SeccompAction {
    /// The SCMP_ACT_* values (macros in seccomp.h that Swift does not import).
    var libseccompValue: UInt32 {
        switch self {
        case .allow: return 0x7fff_0000
        case .errno(let e): return 0x0005_0000 | (e & 0xffff)
        case .killThread: return 0x0000_0000
        case .killProcess: return 0x8000_0000
        case .trap: return 0x0003_0000
        case .trace(let m): return 0x7ff0_0000 | (m & 0xffff)
        case .log: return 0x7ffc_0000
        case .notify: return 0x7fc0_0000
        }
    }
}

extension ResolvedCondition {
    var libseccompValue: scmp_arg_cmp {
        let op: scmp_compare
        switch self.op {
        case .notEqual: op = SCMP_CMP_NE
        case .less: op = SCMP_CMP_LT
        case .lessOrEqual: op = SCMP_CMP_LE
        case .equal: op = SCMP_CMP_EQ
        case .greaterOrEqual: op = SCMP_CMP_GE
        case .greater: op = SCMP_CMP_GT
        case .maskedEqual: op = SCMP_CMP_MASKED_EQ
        }
        return scmp_arg_cmp(arg: index, op: op, datum_a: value, datum_b: valueTwo)
    }
}
