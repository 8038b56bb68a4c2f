import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The individual checks behind `hutch info`.
enum HostChecks {
    static func kernelRelease() -> String {
        var u = utsname()
        uname(&u)
        let release = withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let machine = withUnsafeBytes(of: &u.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return "\(release) (\(machine))"
    }

    static func userName(uid: uid_t, environment: [String: String]) -> String {
        if let pw = getpwuid(uid) { return String(cString: pw.pointee.pw_name) }
        return environment["USER"] ?? "\(uid)"
    }

    /// Ranges for the user, by name or by numeric uid, as shadow-utils reads them.
    static func subordinateRanges(file: String, user: String, uid: uid_t) -> [HostReport.IDRange] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [] }
        return parseSubordinateRanges(text, user: user, uid: uid)
    }

    static func parseSubordinateRanges(_ text: String, user: String, uid: uid_t) -> [HostReport.IDRange] {
        text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == user || parts[0] == "\(uid)",
                  let start = UInt32(parts[1].trimmingCharacters(in: .whitespaces)),
                  let count = UInt32(parts[2].trimmingCharacters(in: .whitespaces)), count > 0 else { return nil }
            return HostReport.IDRange(start: start, count: count)
        }
    }

    static func findExecutable(_ name: String, environment: [String: String]) -> String? {
        let path = (environment["PATH"] ?? "") + ":/usr/bin:/bin:/usr/sbin:/sbin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    static func readSysctl(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The sysctls that block unprivileged user namespaces, then a real try.
    static func userNamespaces(environment: [String: String]) -> HostReport.Finding {
        if readSysctl("/proc/sys/kernel/unprivileged_userns_clone") == "0" {
            return .init(ok: false, detail: "kernel.unprivileged_userns_clone = 0",
                         fix: "ask your admin: sysctl -w kernel.unprivileged_userns_clone=1 (and in /etc/sysctl.d)")
        }
        if readSysctl("/proc/sys/user/max_user_namespaces") == "0" {
            return .init(ok: false, detail: "user.max_user_namespaces = 0",
                         fix: "ask your admin: sysctl -w user.max_user_namespaces=15000 (and in /etc/sysctl.d)")
        }
        let apparmor = readSysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1"
        guard let unshare = findExecutable("unshare", environment: environment) else {
            return .init(ok: true, detail: "allowed by sysctl; not tried (util-linux unshare missing)", fix: nil)
        }
        let r = run([unshare, "--user", "--map-root-user", "/bin/true"])
        if r.status == 0 { return .init(ok: true, detail: "created one", fix: nil) }
        if apparmor {
            return .init(ok: false, detail: "kernel.apparmor_restrict_unprivileged_userns = 1",
                         fix: "ask your admin for an AppArmor profile allowing userns for hutch, or sysctl -w kernel.apparmor_restrict_unprivileged_userns=0")
        }
        return .init(ok: false, detail: "unshare failed: \(r.output.trimmingCharacters(in: .whitespacesAndNewlines))",
                     fix: "ask your admin to allow unprivileged user namespaces")
    }

    /// Mounts an overlay with userxattr inside a fresh user+mount namespace,
    /// in a folder on the storage filesystem (where hutch would mount it).
    static func kernelOverlay(storage: String, environment: [String: String]) -> HostReport.Finding {
        guard let unshare = findExecutable("unshare", environment: environment),
              let mount = findExecutable("mount", environment: environment) else {
            return .init(ok: false, detail: "not tried: util-linux unshare or mount missing",
                         fix: "ask your admin to install util-linux and mount")
        }
        let base = storage + "/tmp"
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let dir = base + "/info-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        defer {
            // The kernel leaves work/work mode 000 after a mount: open it up to remove the tree.
            for sub in ["work/work", "work/index", "work"] { chmod(dir + "/" + sub, 0o700) }
            try? FileManager.default.removeItem(atPath: dir)
        }
        for sub in ["lower", "upper", "work", "merged"] {
            do { try FileManager.default.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true) } catch {
                return .init(ok: false, detail: "could not create a test folder in \(base): \(error)", fix: "check the storage folder's permissions")
            }
        }
        let options = "lowerdir=\(dir)/lower,upperdir=\(dir)/upper,workdir=\(dir)/work,userxattr"
        let r = run([unshare, "--user", "--map-root-user", "--mount", mount, "-t", "overlay", "overlay", "-o", options, dir + "/merged"])
        if r.status == 0 { return .init(ok: true, detail: "mounted one with userxattr", fix: nil) }
        return .init(ok: false, detail: r.output.trimmingCharacters(in: .whitespacesAndNewlines),
                     fix: "needs Linux 5.11+ and a storage filesystem overlay accepts; hutch uses hutch-unionfs instead")
    }

    static func fuseDevice() -> HostReport.Finding {
        let fd = open("/dev/fuse", O_RDWR | O_CLOEXEC)
        if fd >= 0 { close(fd); return .init(ok: true, detail: "opened read-write", fix: nil) }
        let reason = String(cString: strerror(errno))
        return .init(ok: false, detail: "cannot open: \(reason)",
                     fix: "ask your admin to install fuse3 and make /dev/fuse mode 0666 (modprobe fuse)")
    }

    /// The kernel reports a Seccomp: line in /proc/self/status when CONFIG_SECCOMP is on.
    static func seccomp() -> HostReport.Finding {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Seccomp:") }) else {
            return .init(ok: false, detail: "no Seccomp line in /proc/self/status", fix: "the kernel lacks CONFIG_SECCOMP_FILTER: containers run unfiltered")
        }
        let mode = line.dropFirst(8).trimmingCharacters(in: .whitespaces)
        let actions = readSysctl("/proc/sys/kernel/seccomp/actions_avail") ?? ""
        let filter = actions.isEmpty || actions.contains("errno")
        return .init(ok: filter, detail: "filter mode available" + (mode == "0" ? "" : "; hutch itself runs under mode \(mode)"),
                     fix: filter ? nil : "the kernel lacks seccomp filter support")
    }

    static func cgroup(uid: uid_t) -> HostReport.CgroupInfo {
        let unified = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
        guard unified else {
            let hybrid = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/unified")
            return .init(version: hybrid ? "1 (hybrid)" : "1", path: nil, controllers: [], delegated: false,
                         fix: "resource limits (--memory, --cpus) need cgroup v2: ask your admin to boot with systemd.unified_cgroup_hierarchy=1")
        }
        let own = ((try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? "")
            .split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) } ?? "/"
        var dir = "/sys/fs/cgroup" + (own == "/" ? "" : own)
        // A shell that a run with limits moved into hutch-leaf reports the
        // folder above it, the one hutch uses (CgroupDelegation.leafName).
        if dir.hasSuffix("/hutch-leaf") { dir.removeLast("/hutch-leaf".count) }
        let controllers = (readSysctl(dir + "/cgroup.controllers") ?? "").split(separator: " ").map(String.init)
        let writable = access(dir + "/cgroup.procs", W_OK) == 0 && access(dir, W_OK) == 0
        return .init(version: "2", path: dir, controllers: controllers, delegated: writable,
                     fix: writable ? nil : "log in through systemd (a user session delegates user@\(uid).service) or ask your admin to enable cgroup delegation")
    }

    static func storageFolder(environment: [String: String]) -> String {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let data = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.local/share"
        return data + "/hutch"
    }

    /// The filesystem holding `path`: the longest mount point above it in mountinfo.
    static func storage(path: String, source: String? = nil, note: String? = nil) -> HostReport.StorageInfo {
        let fs = filesystemType(of: path)
        return .init(path: path, filesystem: fs, warning: networkFilesystemWarning(fs), source: source, note: note)
    }

    /// What to do about a store on a network filesystem. Only a folder the
    /// user chose can be there (the default moves to /var/tmp/hutch-UID by
    /// itself, see Store.StoreLocation), so the fix is that choice.
    static func networkFilesystemWarning(_ fs: String) -> String? {
        guard fs.hasPrefix("nfs") || fs == "cifs" || fs == "smb3" || fs.hasPrefix("fuse.sshfs") else { return nil }
        return "\(fs) is a network filesystem: file locks, xattrs and renames are not reliable there; choose a folder on a local disk with --root, HUTCH_ROOT or [storage] root, or set none of them and hutch uses /var/tmp/hutch-$UID"
    }

    static func filesystemType(of path: String) -> String {
        var probe = URL(fileURLWithPath: path).standardizedFileURL.path
        while !FileManager.default.fileExists(atPath: probe) && probe != "/" {
            probe = (probe as NSString).deletingLastPathComponent
        }
        let real = URL(fileURLWithPath: probe).resolvingSymlinksInPath().path
        let mountinfo = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        var best = ("", "unknown")
        for line in mountinfo.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            let left = halves[0].split(separator: " ")
            guard halves.count >= 2, left.count >= 5 else { continue }
            let point = left[4].replacingOccurrences(of: "\\040", with: " ")
            let type = halves[1].split(separator: " ").first.map(String.init) ?? "unknown"
            let under = point == "/" || real == point || real.hasPrefix(point + "/")
            if under && point.count >= best.0.count { best = (point, type) }
        }
        return best.1
    }

    struct Output { var status: Int32; var output: String }

    static func run(_ argv: [String]) -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { return Output(status: -1, output: "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}
