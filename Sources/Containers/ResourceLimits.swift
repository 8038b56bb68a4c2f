import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `--memory`, `--cpus`, `--pids-limit`: enforced through cgroup v2.
public struct ResourceLimits: Codable, Equatable {
    public var memoryBytes: UInt64?
    public var cpus: Double?
    public var pids: Int?

    public init(memoryBytes: UInt64? = nil, cpus: Double? = nil, pids: Int? = nil) {
        self.memoryBytes = memoryBytes
        self.cpus = cpus
        self.pids = pids
    }

    public var isEmpty: Bool { memoryBytes == nil && cpus == nil && pids == nil }

    /// The controllers these limits need.
    var controllers: [String] {
        var c: [String] = []
        if memoryBytes != nil { c.append("memory") }
        if cpus != nil { c.append("cpu") }
        if pids != nil { c.append("pids") }
        return c
    }

    /// Docker's `--memory` syntax: a number with an optional b, k, m, g
    /// suffix (binary units), at least 6 MiB.
    public static func parseMemory(_ text: String) throws -> UInt64 {
        var s = text.lowercased()
        var unit: UInt64 = 1
        if let last = s.last, !last.isNumber {
            switch last {
            case "b": unit = 1
            case "k": unit = 1 << 10
            case "m": unit = 1 << 20
            case "g": unit = 1 << 30
            default: throw ContainerError.invalidOption("invalid --memory \(text): expected a number with an optional unit b, k, m or g (e.g. 512m)")
            }
            s.removeLast()
        }
        guard let value = Double(s), value > 0, value.isFinite else {
            throw ContainerError.invalidOption("invalid --memory \(text): expected a number with an optional unit b, k, m or g (e.g. 512m)")
        }
        let bytes = UInt64(value * Double(unit))
        guard bytes >= 6 << 20 else {
            throw ContainerError.invalidOption("Minimum memory limit allowed is 6MB")
        }
        return bytes
    }

    public static func parseCPUs(_ text: String) throws -> Double {
        guard let v = Double(text), v > 0, v.isFinite, v <= 1024 else {
            throw ContainerError.invalidOption("invalid --cpus \(text): expected a positive number of CPUs, e.g. 1.5")
        }
        return v
    }

    /// The files and values to write in the container's cgroup.
    public var cgroupFiles: [(String, String)] {
        var files: [(String, String)] = []
        if let m = memoryBytes { files.append(("memory.max", String(m))) }
        if let c = cpus {
            let period = 100_000
            files.append(("cpu.max", "\(max(1000, Int((c * Double(period)).rounded()))) \(period)"))
        }
        if let p = pids { files.append(("pids.max", p <= 0 ? "max" : String(p))) }
        return files
    }
}

/// A cgroup v2 folder the user may create children in (a delegated
/// subtree, as a systemd user session gives).
public struct CgroupDelegation {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// This process's own cgroup v2 folder, if the user may manage it;
    /// otherwise an error that says why.
    public static func find(procSelfCgroup: String = "/proc/self/cgroup",
                            mountinfo: String = "/proc/self/mountinfo") throws -> CgroupDelegation {
        var dir = try cgroupFolder(procCgroup: procSelfCgroup, mountinfo: mountinfo)
        // A process hutch moved into the leaf (the user's shell, hutch itself)
        // still belongs to the folder above it: use that one, never nest.
        if (dir as NSString).lastPathComponent == leafName { dir = (dir as NSString).deletingLastPathComponent }
        guard access(dir, W_OK) == 0, access(dir + "/cgroup.subtree_control", W_OK) == 0,
              access(dir + "/cgroup.procs", W_OK) == 0 else {
            throw ContainerError.limits("--memory, --cpus and --pids-limit need a cgroup v2 subtree delegated to you, and \(dir) is not yours (no systemd user session delegates one here); run without these options, or ask your admin to enable cgroup v2 delegation (see docs/limits.md)")
        }
        return CgroupDelegation(directory: dir)
    }

    /// The cgroup v2 folder of the process whose /proc/PID/cgroup is `procCgroup`.
    static func cgroupFolder(procCgroup: String, mountinfo: String) throws -> String {
        let cgroupText = (try? String(contentsOfFile: procCgroup, encoding: .utf8)) ?? ""
        guard let line = cgroupText.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else {
            throw ContainerError.limits("no cgroup v2 hierarchy for this process: --memory, --cpus and --pids-limit need cgroup v2 with a delegated subtree (a systemd user session); see docs/limits.md")
        }
        let path = String(line.dropFirst(3))
        let mounts = (try? String(contentsOfFile: mountinfo, encoding: .utf8)) ?? ""
        guard let mountPoint = cgroup2MountPoint(mountinfo: mounts) else {
            throw ContainerError.limits("cgroup v2 is not mounted: --memory, --cpus and --pids-limit need it; see docs/limits.md")
        }
        return mountPoint + (path == "/" ? "" : path)
    }

    /// The cgroup of the running container `id` whose init is `pid`: the
    /// `hutch-<id>` folder its monitor made, where `exec` puts its process
    /// so the container's limits hold for it too. Read from where the init
    /// is (not from this process's own cgroup, which may be another
    /// session's); an init that is elsewhere is an error, never a guess.
    public static func containerCgroup(of pid: Int32, id: String, procCgroup: String? = nil,
                                       mountinfo: String = "/proc/self/mountinfo") throws -> String {
        let folder = try cgroupFolder(procCgroup: procCgroup ?? "/proc/\(pid)/cgroup", mountinfo: mountinfo)
        let expected = "hutch-" + ContainerID.short(id)
        guard folder.split(separator: "/").last.map(String.init) == expected else {
            throw ContainerError.limits("container \(id) has resource limits but its process is not in its cgroup \(expected) (it is in \(folder)): restart it to apply them")
        }
        return folder
    }

    static func cgroup2MountPoint(mountinfo: String) -> String? {
        for line in mountinfo.split(separator: "\n") {
            // ... mount-point ... - fstype source options
            guard let dash = line.range(of: " - ") else { continue }
            let after = line[dash.upperBound...].split(separator: " ")
            guard after.first == "cgroup2" else { continue }
            let before = line[..<dash.lowerBound].split(separator: " ")
            if before.count >= 5 { return String(before[4]) }
        }
        return nil
    }

    /// Makes `hutch-<id>` under the delegated folder with `limits` written,
    /// and returns its path. The container's pid goes into its cgroup.procs.
    public func createCgroup(for id: String, limits: ResourceLimits) throws -> String {
        let dir = try createChild("hutch-" + ContainerID.short(id), controllers: limits.controllers)
        for (file, value) in limits.cgroupFiles { try write(value, to: dir + "/" + file) }
        return dir
    }

    /// The child of the delegated folder that holds the processes that were
    /// in the folder itself (the user's shell, hutch): cgroup v2 lets a
    /// folder that gives controllers to its children hold no processes.
    public static let leafName = "hutch-leaf"

    /// Makes the child `name` of the delegated folder with `controllers`
    /// enabled for it, and returns its path.
    func createChild(_ name: String, controllers: [String]) throws -> String {
        let available = ((try? String(contentsOfFile: directory + "/cgroup.controllers", encoding: .utf8)) ?? "")
            .split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        let missing = controllers.filter { !available.contains($0) }
        guard missing.isEmpty else {
            throw ContainerError.limits("the cgroup controllers \(missing.joined(separator: ", ")) are not delegated to you in \(directory)")
        }
        if !controllers.isEmpty { try enableControllers(controllers) }
        let dir = directory + "/" + name
        if mkdir(dir, 0o755) != 0 && errno != EEXIST {
            throw ContainerError.limits("cannot create cgroup \(dir): \(String(cString: strerror(errno)))")
        }
        return dir
    }

    /// Writes "+memory +cpu ..." to the folder's cgroup.subtree_control. The
    /// kernel refuses (EBUSY) while the folder itself holds processes, as the
    /// folder of a shell always does: those move into the leaf first. A
    /// process forked there meanwhile lands in the folder again, hence a few
    /// tries.
    func enableControllers(_ controllers: [String]) throws {
        let control = directory + "/cgroup.subtree_control"
        let enable = controllers.map { "+" + $0 }.joined(separator: " ")
        for _ in 0..<5 {
            let error = writeValue(enable, to: control)
            if error == 0 { return }
            guard error == EBUSY else {
                throw ContainerError.limits("cannot write \(enable) to \(control): \(String(cString: strerror(error)))")
            }
            try moveProcessesIntoLeaf()
        }
        throw ContainerError.limits("cannot enable the cgroup controllers \(controllers.joined(separator: ", ")) in \(directory): the kernel still answers busy after hutch moved the folder's processes into \(directory)/\(Self.leafName) (cgroup v2 allows no processes in a folder that has controllers enabled for its children, and processes started meanwhile land there again); try again, and see docs/limits.md")
    }

    /// Moves every process of the delegated folder into its leaf child,
    /// made if missing and reused if present.
    func moveProcessesIntoLeaf() throws {
        let leaf = directory + "/" + Self.leafName
        if mkdir(leaf, 0o755) != 0 && errno != EEXIST {
            throw ContainerError.limits("cannot create cgroup \(leaf) to move the processes of \(directory) into (cgroup v2 allows no processes in a folder that has controllers enabled for its children): \(String(cString: strerror(errno)))")
        }
        let procs = (try? String(contentsOfFile: directory + "/cgroup.procs", encoding: .utf8)) ?? ""
        for pid in procs.split(separator: "\n") {
            let error = writeValue(String(pid), to: leaf + "/cgroup.procs")
            // ESRCH: it exited meanwhile, nothing to move.
            guard error == 0 || error == ESRCH else {
                throw ContainerError.limits("cannot move process \(pid) from \(directory) into \(leaf) (cgroup v2 allows no processes in a folder that has controllers enabled for its children): \(String(cString: strerror(error))); the folder and its processes must be yours (a systemd user session with Delegate=yes, see docs/limits.md)")
            }
        }
    }

    public static func addProcess(_ pid: Int32, to cgroup: String) throws {
        try CgroupDelegation(directory: cgroup).write(String(pid), to: cgroup + "/cgroup.procs")
    }

    public static func remove(_ cgroup: String) { rmdir(cgroup) }

    /// Where a container's cgroup would be, for cleanup after a killed monitor.
    static func containerCgroupPath(id: String) -> String {
        ((try? find().directory) ?? "/nonexistent") + "/hutch-" + ContainerID.short(id)
    }

    func write(_ value: String, to path: String) throws {
        let error = writeValue(value, to: path)
        guard error == 0 else {
            throw ContainerError.limits("cannot write \(value) to \(path): \(String(cString: strerror(error)))")
        }
    }

    /// Writes `value` to `path`: 0, or the errno of the failure (cgroup
    /// files answer through write's errno, e.g. EBUSY).
    func writeValue(_ value: String, to path: String) -> Int32 {
        let fd = open(path, O_WRONLY | O_CLOEXEC | O_CREAT, 0o644)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        let n = value.withCString { Glibc.write(fd, $0, strlen($0)) }
        return n >= 0 ? 0 : errno
    }
}
