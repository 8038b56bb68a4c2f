import Foundation
import Registry
import Sandbox
import Store
import Containers
import UnionFS
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
    /// Whether a RUN whose namespace maps a subordinate range writes through
    /// the kernel overlay (over a read-only hutch-unionfs view of the layers)
    /// instead of through hutch-unionfs: `storage.union` "auto" or "overlay".
    public let kernelOverlay: Bool

    public init(unionfs: String, kernelOverlay: Bool = false) {
        self.unionfs = unionfs
        self.kernelOverlay = kernelOverlay
    }

    /// hutch-unionfs beside the running hutch, else on PATH.
    public static func `default`(store: Store, config: HutchConfig) -> SandboxRunner {
        SandboxRunner(unionfs: UnionMount.defaultUnionFSPath(), kernelOverlay: config.union != .fuse)
    }

    public func run(_ step: RunStep) throws -> Int32 {
        let scratch = (step.upperDirectory as NSString).deletingLastPathComponent
        let mountpoint = scratch + "/root"
        // Upper, work folder, mount point and the empty lower of a FROM scratch
        // stage as ImageRootfs makes them; the daemon ends with the build, so a
        // kill -9 leaves no mount behind.
        let lowers = step.lowerDirectories
        var mount: UnionMount?
        do {
            mount = try ImageRootfs.mount(lowers: lowers, upper: step.upperDirectory, work: step.workDirectory,
                                          at: mountpoint, unionfsPath: unionfs)
        } catch {
            throw BuildError("cannot mount the stage's layers: \(error)")
        }
        defer { try? mount?.unmount() }
        // The host mount serves the preparation; the command gets a mount made
        // in its own namespaces (see ImageRootfs), so RUN after USER app works.
        var controlSocket: String?
        var onKernelOverlay = false
        let handOver: (pid_t) throws -> Void = { pid in
            guard let prepared = mount else { return }
            mount = nil
            do {
                mount = try ImageRootfs.handOver(prepared, to: pid) {
                    if onKernelOverlay {
                        // Writes at the kernel's speed; if the kernel refuses, hutch-unionfs as usual.
                        if let overlay = try? ImageRootfs.mountKernelOverlay(
                            over: lowers, view: scratch + "/view", upper: step.upperDirectory,
                            work: scratch + "/overlay-work", at: mountpoint, in: pid, unionfsPath: unionfs) {
                            return overlay
                        }
                        onKernelOverlay = false
                    }
                    return try ImageRootfs.mount(lowers: lowers, upper: step.upperDirectory, work: step.workDirectory,
                                                 at: mountpoint, joining: pid, controlSocket: controlSocket,
                                                 unionfsPath: unionfs)
                }
            } catch {
                throw BuildError("cannot mount the stage's layers: \(error)")
            }
        }
        var runOptions = RunOptions()
        runOptions.workdir = step.workdir
        runOptions.user = step.user.flatMap { $0.isEmpty ? nil : $0 }
        runOptions.network = step.network
        runOptions.volumes = step.mounts.map { "\($0.source):\($0.target)\($0.readOnly ? ":ro" : "")" }
        runOptions.tmpfs = step.tmpfs
        // Docker creates a RUN's working folder when it is missing.
        try? FileManager.default.createDirectory(atPath: mountpoint + step.workdir, withIntermediateDirectories: true)
        var spec = try SandboxSpec.forRootfs(mountpoint, command: step.argv, options: runOptions,
                                             image: ImageDefaults(environment: step.environment))
        spec.hostname = "buildkitsandbox"
        // Docker's default profile, as Docker's RUN has; without a subuid
        // range chown goes to the step's hutch-unionfs (ChownSupervision).
        controlSocket = try ChownSupervision.compileSeccomp(
            &spec, supervisor: "build-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").socket
        // The kernel overlay gives copied-up and chowned files real owners:
        // only a namespace mapping a subordinate range can have them.
        onKernelOverlay = kernelOverlay && !spec.idMappings.needsChownSupervisor
        let status: Int32
        if step.quiet {
            // -q: the command writes to /dev/null (hutch's own streams, restored after).
            let saved = (dup(1), dup(2))
            let null = open("/dev/null", O_WRONLY)
            dup2(null, 1); dup2(null, 2); close(null)
            defer { dup2(saved.0, 1); dup2(saved.1, 2); close(saved.0); close(saved.1) }
            status = try Sandbox.run(spec, afterIDMaps: handOver)
        } else {
            status = try Sandbox.run(spec, afterIDMaps: handOver)
        }
        if onKernelOverlay {
            // The store keeps the user's own files, owners recorded (Store/OwnerFolding);
            // the running hutch-cli has the hidden fold-owners command.
            try OwnerFolding.foldInSubordinateNamespace(step.upperDirectory, helper: ContainerManager.selfExecutable())
        }
        return status
    }
}
