/// The human form of `hutch info`: aligned `key: value` lines grouped like
/// `docker info`, a failed check followed by its fix.
extension HostReport {
    public func text() -> String {
        var lines: [(String, String)] = []
        func add(_ key: String, _ value: String) { lines.append((key, value)) }
        func add(_ key: String, _ f: Finding) {
            add(key, (f.ok ? "yes" : "NO") + (f.detail.isEmpty ? "" : " (\(f.detail))"))
            if let fix = f.fix, !f.ok { add("", "fix: " + fix) }
        }
        func ranges(_ r: [IDRange], file: String) -> String {
            r.isEmpty ? "none in \(file)" : r.map { "\($0.start)-\(UInt64($0.start) + UInt64($0.count) - 1) (\($0.count) ids)" }.joined(separator: ", ")
        }
        add("User", "\(user) (uid \(uid))")
        add("Kernel", kernel)
        add("User namespaces", userNamespaces)
        add("Subuid range", ranges(subuid, file: "/etc/subuid"))
        add("Subgid range", ranges(subgid, file: "/etc/subgid"))
        if subuid.isEmpty || subgid.isEmpty {
            add("", "fix: ask your admin for `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 \(user)` (optional: without it one id is mapped)")
        }
        add("newuidmap", newuidmap ?? "missing")
        add("newgidmap", newgidmap ?? "missing")
        if newuidmap == nil || newgidmap == nil { add("", "fix: ask your admin to install the Debian package uidmap") }
        add("/dev/fuse", fuse)
        add("fusermount3", fusermount3 ?? "missing")
        if fusermount3 == nil { add("", "fix: ask your admin to install the Debian package fuse3") }
        add("Overlay in userns", kernelOverlay)
        add("Seccomp", seccomp)
        add("Cgroup version", cgroup.version)
        add("Cgroup delegated", cgroup.delegated ? "yes (\(cgroup.controllers.joined(separator: " ")))" : "no")
        if let fix = cgroup.fix, !cgroup.delegated { add("", "fix: " + fix) }
        add("Storage folder", storage.path + (storage.source.map { " (from \($0))" } ?? ""))
        if let note = storage.note { add("", "NOTE: " + note) }
        add("Storage filesystem", storage.filesystem)
        if let w = storage.warning { add("", "WARNING: " + w) }
        add("pasta", pasta ?? "missing")
        add("slirp4netns", slirp4netns ?? "missing")
        if pasta == nil && slirp4netns == nil { add("", "fix: ask your admin to install the Debian package passt (or slirp4netns)") }
        var out = ""
        let width = lines.map(\.0.count).max() ?? 0
        for (k, v) in lines {
            out += " " + (k.isEmpty ? String(repeating: " ", count: width + 1) : (k + ":").padding(toLength: width + 1, withPad: " ", startingAt: 0)) + " " + v + "\n"
        }
        out += "hutch will use:\n"
        out += " Union filesystem: \(uses.unionFilesystem)\n"
        out += " ID mapping:       \(uses.idMapping)\n"
        out += " Network:          \(uses.network)\n"
        return out
    }
}
