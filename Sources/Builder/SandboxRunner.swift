import Foundation
import Registry
import Sandbox
import Store
#if canImport(Glibc)
import Glibc
#endif

/// RUN in the rootless sandbox: the stage's layers and the step's upper
/// directory are mounted with hutch-unionfs (FUSE, as the building user,
/// so it works the same with or without a subuid range; it records the
/// owners the kernel cannot give in override_stat), the command runs in
/// the sandbox on that root, then the mount goes away.
public struct SandboxRunner: RunStepExecuting {
    public let unionfs: String

    public init(unionfs: String) { self.unionfs = unionfs }

    /// hutch-unionfs beside the running hutch, else on PATH.
    public static func `default`(store: Store, config: HutchConfig) -> SandboxRunner {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        let beside = (exe as NSString).deletingLastPathComponent + "/hutch-unionfs"
        if FileManager.default.isExecutableFile(atPath: beside) { return SandboxRunner(unionfs: beside) }
        return SandboxRunner(unionfs: "hutch-unionfs")
    }

    public func run(_ step: RunStep) throws -> Int32 {
        let mountpoint = (step.upperDirectory as NSString).deletingLastPathComponent + "/root"
        try? FileManager.default.createDirectory(atPath: mountpoint, withIntermediateDirectories: true)
        // An empty stage (FROM scratch) still needs a lower layer.
        var lowers = step.lowerDirectories
        if lowers.isEmpty {
            let empty = (step.upperDirectory as NSString).deletingLastPathComponent + "/empty"
            try? FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
            lowers = [empty]
        }
        let escaped = lowers.map { $0.replacingOccurrences(of: ":", with: "\\:") }.joined(separator: ":")
        let options = "lowerdir=\(escaped),upperdir=\(step.upperDirectory),workdir=\(step.workDirectory),watch_pid=\(getpid())"
        let status = try spawnAndWait([unionfs, "-o", options, mountpoint])
        guard status == 0 else {
            throw BuildError("cannot mount the stage's layers with \(unionfs) (exit \(status))")
        }
        defer { unmount(mountpoint) }
        var runOptions = RunOptions()
        runOptions.workdir = step.workdir
        runOptions.user = step.user.flatMap { $0.isEmpty ? nil : $0 }
        runOptions.network = step.network
        runOptions.volumes = step.mounts.map { "\($0.source):\($0.target)\($0.readOnly ? ":ro" : "")" }
        // Docker creates a RUN's working folder when it is missing.
        try? FileManager.default.createDirectory(atPath: mountpoint + step.workdir, withIntermediateDirectories: true)
        var spec = try SandboxSpec.forRootfs(mountpoint, command: step.argv, options: runOptions,
                                             image: ImageDefaults(environment: step.environment))
        spec.hostname = "buildkitsandbox"
        return try spec.run()
    }

    func unmount(_ mountpoint: String) {
        for tool in ["/usr/bin/fusermount3", "/bin/fusermount3", "/usr/bin/fusermount"]
        where FileManager.default.isExecutableFile(atPath: tool) {
            if (try? spawnAndWait([tool, "-u", "-z", mountpoint])) == 0 { return }
        }
    }

    /// posix_spawn and waitpid: Foundation's Process can miss the exit of a
    /// child that daemonizes (hutch-unionfs forks and its parent exits).
    func spawnAndWait(_ argv: [String]) throws -> Int32 {
        var pid: pid_t = 0
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let rc = posix_spawnp(&pid, argv[0], nil, nil, &cArgs, environ)
        guard rc == 0 else { throw BuildError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { throw BuildError("waitpid \(argv[0]): \(String(cString: strerror(errno)))") }
        }
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }
}
