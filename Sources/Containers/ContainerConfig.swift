import Foundation

/// What a container is: decided at `run`/`create`, kept in
/// `containers/<id>/config.json`, never changed after (a restart reuses it).
public struct ContainerConfig: Codable, Equatable {
    /// Where the root filesystem comes from.
    public enum RootSource: Codable, Equatable {
        /// `--rootfs DIR`: a folder used as it is.
        case folder(String)
        /// An image: its layers' folders, lowest first, under a
        /// per-container upper layer.
        case image(layers: [String])

        public var isImage: Bool { if case .image = self { return true } else { return false } }
    }

    public var id: String
    public var name: String
    /// As the user typed it (`busybox`, `python:3.12`), or the rootfs path.
    public var imageName: String
    /// The image's ID (sha256 of its config), "" for `--rootfs`.
    public var imageID: String
    public var root: RootSource
    public var created: Date

    /// The full command: entrypoint followed by cmd.
    public var command: [String]
    public var environment: [String]
    public var workdir: String?
    public var user: String?
    public var hostname: String?

    /// private, host or none.
    public var network: String
    public var ports: [PortMapping]
    public var addHosts: [String]
    public var dns: [String]
    public var limits: ResourceLimits

    /// The rest of `run`'s sandbox options as typed (volumes, caps,
    /// ulimits, security options...), passed through to the Sandbox.
    public var volumes: [String]
    public var tmpfs: [String]
    public var capAdd: [String]
    public var capDrop: [String]
    public var securityOpts: [String]
    public var ulimits: [String]
    public var readOnly: Bool
    public var userns: String?

    public var tty: Bool
    public var interactive: Bool
    /// The signal `stop` sends first (the image's STOPSIGNAL or SIGTERM).
    public var stopSignal: String
    /// `--rm`: the monitor removes the container when it ends.
    public var autoRemove: Bool
    public var labels: [String: String]
    /// The union filesystem of an image container's root, from config.toml's
    /// `[storage] union` when the container was made: "overlay" for the
    /// kernel's, nil (or "fuse") for hutch-unionfs.
    public var union: String?

    /// The kernel overlay mounts this container's root.
    public var usesKernelOverlay: Bool { union == "overlay" }

    public init(id: String, name: String, imageName: String, imageID: String = "", root: RootSource,
                created: Date = Date(), command: [String], environment: [String] = [], workdir: String? = nil,
                user: String? = nil, hostname: String? = nil, network: String = "private", ports: [PortMapping] = [],
                addHosts: [String] = [], dns: [String] = [], limits: ResourceLimits = ResourceLimits(),
                volumes: [String] = [], tmpfs: [String] = [], capAdd: [String] = [], capDrop: [String] = [],
                securityOpts: [String] = [], ulimits: [String] = [], readOnly: Bool = false, userns: String? = nil,
                tty: Bool = false, interactive: Bool = false, stopSignal: String = "SIGTERM",
                autoRemove: Bool = false, labels: [String: String] = [:]) {
        self.id = id; self.name = name; self.imageName = imageName; self.imageID = imageID
        self.root = root; self.created = created; self.command = command; self.environment = environment
        self.workdir = workdir; self.user = user; self.hostname = hostname; self.network = network
        self.ports = ports; self.addHosts = addHosts; self.dns = dns; self.limits = limits
        self.volumes = volumes; self.tmpfs = tmpfs; self.capAdd = capAdd; self.capDrop = capDrop
        self.securityOpts = securityOpts; self.ulimits = ulimits; self.readOnly = readOnly; self.userns = userns
        self.tty = tty; self.interactive = interactive; self.stopSignal = stopSignal
        self.autoRemove = autoRemove; self.labels = labels
    }

    public var shortID: String { ContainerID.short(id) }
}

/// What a container is doing: `containers/<id>/state.json`, rewritten
/// atomically under the container's lock at each transition.
public struct ContainerState: Codable, Equatable {
    public enum Status: String, Codable { case created, running, exited }

    public var status: Status = .created
    /// The container's init, in hutch's PID namespace, with its start time
    /// (from /proc/PID/stat) so a reused pid is never taken for it.
    public var pid: Int32 = 0
    public var pidStartTime: UInt64 = 0
    public var monitorPid: Int32 = 0
    public var exitCode: Int32 = 0
    public var startedAt: Date?
    public var finishedAt: Date?
    /// Why the last start failed, if it did.
    public var error: String?
    /// Published ports as bound (host ports chosen for `-p 80` and `-P`).
    public var ports: [PortMapping] = []
    /// Helper processes the monitor started (pasta, hutch-unionfs), to stop
    /// when the container ends even if the monitor is gone.
    public var helpers: [ProcessIdentity] = []
    public var restartCount: Int = 0

    public init() {}
}

/// A container's config and state read together.
public struct Container {
    public var config: ContainerConfig
    public var state: ContainerState
    public var id: String { config.id }
    public var name: String { config.name }
}

extension ContainerState {
    /// The state of a container whose command now runs with this process
    /// (the monitor, or hutch itself for a foreground run) watching it; the
    /// pid's start time tells a reused pid apart later.
    mutating func markRunning(pid: Int32, ports: [PortMapping], helpers: [ProcessIdentity]) {
        let identity = ProcessIdentity.of(pid) ?? ProcessIdentity(pid: pid, startTime: 0)
        status = .running
        self.pid = identity.pid
        pidStartTime = identity.startTime
        monitorPid = getpid()
        startedAt = Date()
        finishedAt = nil
        exitCode = 0
        error = nil
        self.ports = ports
        self.helpers = helpers
    }
}
