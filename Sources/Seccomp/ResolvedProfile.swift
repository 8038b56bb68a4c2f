/// A profile after extends, includes and excludes: what one container on
/// this machine gets, ready to compile. Rule order is the profile's order.
public struct ResolvedProfile: Hashable, Sendable {
    public var defaultAction: SeccompAction
    /// libseccomp architecture names, the native one first.
    public var architectures: [String]
    public var rules: [ResolvedRule]
}

public struct ResolvedRule: Hashable, Sendable {
    public var names: [String]
    public var action: SeccompAction
    public var conditions: [ResolvedCondition]
}

public struct ResolvedCondition: Hashable, Sendable {
    public var index: UInt32
    public var op: ComparisonOperator
    public var value: UInt64
    public var valueTwo: UInt64
}

extension SeccompProfile {
    /// The rules that apply to `target`, with actions and operators checked.
    /// The profile must already be flattened (see `ProfileLibrary`); an
    /// `extends` left here is an error.
    public func resolved(for target: SeccompTarget) throws -> ResolvedProfile {
        if let extends {
            throw ProfileError("extends \"\(extends)\" was not resolved: load the profile through ProfileLibrary",
                               path: "extends")
        }
        guard let defaultName = defaultAction else {
            throw ProfileError("missing defaultAction (SCMP_ACT_ERRNO for an allow-list, SCMP_ACT_ALLOW for a deny-list)")
        }
        guard let defaultAction = SeccompAction(name: defaultName, errnoRet: defaultErrnoRet) else {
            throw ProfileError(unknownActionMessage(defaultName), path: "defaultAction")
        }
        var rules: [ResolvedRule] = []
        for (i, rule) in (syscalls ?? []).enumerated() {
            let path = "syscalls[\(i)]"
            guard let action = SeccompAction(name: rule.action, errnoRet: rule.errnoRet ?? (rule.action == "SCMP_ACT_ERRNO" ? defaultErrnoRet : nil)) else {
                throw ProfileError(unknownActionMessage(rule.action), path: path + ".action")
            }
            var conditions: [ResolvedCondition] = []
            for (j, arg) in (rule.args ?? []).enumerated() {
                guard let op = ComparisonOperator(rawValue: arg.op) else {
                    throw ProfileError(unknownOperatorMessage(arg.op), path: "\(path).args[\(j)].op")
                }
                guard arg.index < 6 else {
                    throw ProfileError("argument index \(arg.index) is out of range: syscalls take arguments 0 to 5",
                                       path: "\(path).args[\(j)].index")
                }
                conditions.append(ResolvedCondition(index: arg.index, op: op, value: arg.value, valueTwo: arg.valueTwo ?? 0))
            }
            guard rule.applies(to: target) else { continue }
            let names = rule.allNames
            if names.isEmpty { continue }
            rules.append(ResolvedRule(names: names, action: action, conditions: conditions))
        }
        return ResolvedProfile(defaultAction: defaultAction, architectures: resolvedArchitectures(for: target), rules: rules)
    }

    /// Docker's rule: with an archMap, the native architecture's group only;
    /// otherwise the listed architectures; with neither, the native one.
    func resolvedArchitectures(for target: SeccompTarget) -> [String] {
        let native = target.seccompArchitecture
        var result = [native]
        if let archMap, !archMap.isEmpty {
            for group in archMap where group.architecture == native {
                result += group.subArchitectures ?? []
            }
        } else if let architectures {
            result += architectures
        }
        var seen = Set<String>()
        return result.filter { seen.insert($0).inserted }
    }
}

extension SyscallRule {
    /// Docker's semantics: every included cap present, an included arch, a
    /// kernel at least minKernel; and none of the excluded ones.
    func applies(to target: SeccompTarget) -> Bool {
        if let ex = excludes {
            if let caps = ex.caps, caps.contains(where: { target.capabilities.contains(SeccompTarget.capabilityName($0)) }) { return false }
            if let arches = ex.arches, arches.contains(where: { SeccompTarget.architectureName($0) == target.architecture }) { return false }
            if let min = ex.minKernel, !min.isEmpty, let v = KernelVersion(min), target.kernel >= v { return false }
        }
        if let inc = includes {
            if let caps = inc.caps, !caps.allSatisfy({ target.capabilities.contains(SeccompTarget.capabilityName($0)) }) { return false }
            if let arches = inc.arches, !arches.isEmpty,
               !arches.contains(where: { SeccompTarget.architectureName($0) == target.architecture }) { return false }
            if let min = inc.minKernel, !min.isEmpty, let v = KernelVersion(min), target.kernel < v { return false }
        }
        return true
    }
}

extension ResolvedProfile {
    /// The resolved rules written back in the Docker format (no includes or
    /// excludes left), for `hutch profile show` and the cache key.
    public var asProfile: SeccompProfile {
        var profile = SeccompProfile(defaultAction: defaultAction.name, defaultErrnoRet: defaultAction.errnoRet,
                                     architectures: architectures)
        profile.syscalls = rules.map { rule in
            SyscallRule(names: rule.names, action: rule.action.name, errnoRet: rule.action.errnoRet,
                        args: rule.conditions.isEmpty ? nil : rule.conditions.map {
                            ArgumentCondition(index: $0.index, value: $0.value, valueTwo: $0.valueTwo, op: $0.op.rawValue)
                        })
        }
        return profile
    }
}

func unknownActionMessage(_ name: String) -> String {
    let hint = nearest(to: name, in: SeccompAction.names).map { " (did you mean \"\($0)\"?)" } ?? ""
    return "\"\(name)\" is not a seccomp action\(hint); use one of \(SeccompAction.names.joined(separator: ", "))"
}

func unknownOperatorMessage(_ name: String) -> String {
    let all = ComparisonOperator.allCases.map(\.rawValue)
    let hint = nearest(to: name, in: all).map { " (did you mean \"\($0)\"?)" } ?? ""
    return "\"\(name)\" is not an argument operator\(hint); use one of \(all.joined(separator: ", "))"
}
