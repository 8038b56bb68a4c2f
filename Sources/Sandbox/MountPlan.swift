import CSandbox
#if canImport(Glibc)
import Glibc
#endif

/// One step of building the container's file tree; the C side runs them in
/// order (see csandbox.h). Before `.pivot` targets are relative to the new
/// root, after it absolute.
public enum MountOperation: Equatable {
    case makePrivate(String)
    case bind(source: String, target: String, recursive: Bool, readOnly: Bool)
    case mount(fstype: String, target: String, flags: UInt, data: String)
    case mkdir(String)
    case mkfile(String)
    case symlink(linkText: String, at: String)
    case chdir(String)
    case pivot
    case remountReadOnly(String)
    /// Hide a path (Docker's masked paths); missing ones are skipped.
    case mask(String)
    /// Make a path read-only (Docker's read-only paths); missing ones are skipped.
    case readOnly(String)
}

/// The ordered mount steps for a spec: Docker's file tree, in a user namespace.
public enum MountPlan {
    /// Docker's masked paths.
    public static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
        "/sys/firmware", "/sys/devices/virtual/powercap",
    ]
    /// Docker's read-only paths.
    public static let readOnlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    static let devices = ["null", "zero", "full", "random", "urandom", "tty"]

    /// `consolePath`: the terminal's slave on the host, bound on /dev/console.
    public static func operations(for spec: SandboxSpec, consolePath: String? = nil) throws -> [MountOperation] {
        let nosuid = UInt(MS_NOSUID), nodev = UInt(MS_NODEV), noexec = UInt(MS_NOEXEC)
        var ops: [MountOperation] = [
            .makePrivate("/"),
            .bind(source: spec.rootfs, target: spec.rootfs, recursive: true, readOnly: false),
            .chdir(spec.rootfs),
            .mkdir("proc"),
            .mount(fstype: "proc", target: "proc", flags: nosuid | nodev | noexec, data: ""),
            .mkdir("dev"),
            .mount(fstype: "tmpfs", target: "dev", flags: nosuid, data: "mode=755,size=65536k"),
        ]
        for device in devices {
            ops += [.mkfile("dev/" + device), .bind(source: "/dev/" + device, target: "dev/" + device, recursive: false, readOnly: false)]
        }
        // gid=5 (tty) only when mapped: devpts refuses an unmapped gid.
        let ptsData = "newinstance,ptmxmode=0666,mode=0620" + (spec.idMappings.mapsGID(5) ? ",gid=5" : "")
        ops += [
            .mkdir("dev/pts"),
            .mount(fstype: "devpts", target: "dev/pts", flags: nosuid | noexec, data: ptsData),
            .symlink(linkText: "pts/ptmx", at: "dev/ptmx"),
            .mkdir("dev/shm"),
            .mount(fstype: "tmpfs", target: "dev/shm", flags: nosuid | nodev | noexec, data: "mode=1777,size=65536k"),
            .mkdir("dev/mqueue"),
            .mount(fstype: "mqueue", target: "dev/mqueue", flags: nosuid | nodev | noexec, data: ""),
            .symlink(linkText: "/proc/self/fd", at: "dev/fd"),
            .symlink(linkText: "/proc/self/fd/0", at: "dev/stdin"),
            .symlink(linkText: "/proc/self/fd/1", at: "dev/stdout"),
            .symlink(linkText: "/proc/self/fd/2", at: "dev/stderr"),
        ]
        if let consolePath {
            ops += [.mkfile("dev/console"), .bind(source: consolePath, target: "dev/console", recursive: false, readOnly: false)]
        }
        ops.append(.mkdir("sys"))
        if spec.network == .none {
            // sysfs may be mounted only by the owner of the network namespace.
            ops.append(.mount(fstype: "sysfs", target: "sys", flags: UInt(MS_RDONLY) | nosuid | nodev | noexec, data: ""))
        } else {
            ops.append(.bind(source: "/sys", target: "sys", recursive: true, readOnly: true))
        }
        for volume in spec.volumes {
            let target = try RootfsPath.resolve(volume.target, in: spec.rootfs)
            guard !target.isEmpty else {
                throw SandboxError.invalidOption("invalid volume \(volume.source):\(volume.target): cannot mount over the container's root")
            }
            let isDirectory = SystemFiles.isDirectory(volume.source) ?? true
            if isDirectory {
                ops.append(.mkdir(target))
            } else {
                ops += parentDirectory(of: target).map { [.mkdir($0)] } ?? []
                ops.append(.mkfile(target))
            }
            ops.append(.bind(source: volume.source, target: target, recursive: true, readOnly: volume.readOnly))
        }
        for text in spec.tmpfs {
            let tmpfs = try TmpfsOption.parse(text)
            let target = try RootfsPath.resolve(tmpfs.path, in: spec.rootfs)
            guard !target.isEmpty else { throw SandboxError.invalidOption("invalid --tmpfs /: cannot mount over the container's root") }
            ops += [.mkdir(target), .mount(fstype: "tmpfs", target: target, flags: tmpfs.flags, data: tmpfs.data)]
        }
        // Docker creates a missing working directory.
        let workdir = try RootfsPath.resolve(spec.workdir, in: spec.rootfs)
        if !workdir.isEmpty { ops.append(.mkdir(workdir)) }
        ops.append(.pivot)
        ops += maskedPaths.map { .mask($0) }
        ops += readOnlyPaths.map { .readOnly($0) }
        if spec.readOnlyRoot { ops.append(.remountReadOnly("/")) }
        return ops
    }

    static func parentDirectory(of path: String) -> String? {
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return String(path[..<slash])
    }
}
