import OCI

/// What `hutch build` was asked for, beyond the context.
public struct BuildOptions {
    /// `-t`, each a reference (`pythontest`, `pythontest:v1`).
    public var tags: [String] = []
    public var target: String?
    /// `--build-arg NAME=value` or `NAME` (from the environment).
    public var buildArgs: [String] = []
    /// `--label key=value`, added to the final image.
    public var labels: [String] = []
    public var noCache = false
    /// Look the base images up in the registry even when stored.
    public var pull = false
    public var quiet = false
    /// `--network`: nil or "default"/"host" gives RUN the host's network, "none" none.
    public var network: String?
    public var iidfile: String?
    /// The caller's environment, for `--build-arg NAME` without a value.
    public var environment: [String: String] = [:]
    /// `--secret` and `--ssh`, for RUN's secret and ssh mounts.
    public var secrets = BuildSecrets()

    public init() {}
}

/// Runs one RUN over a stage's layers with a fresh upper directory.
public protocol RunStepExecuting {
    /// Returns the command's exit status.
    func run(_ step: RunStep) throws -> Int32
}

/// Finds base images (`FROM python:latest`, `COPY --from=busybox`), pulling when needed.
public protocol BaseImageResolving {
    /// The stored image's ID, pulling it when absent (or always with `pull`).
    func resolve(_ reference: String, pull: Bool, output: BuildOutput) throws -> Digest
}

/// One RUN's inputs: the stage's layers (top first), the upper directory
/// to write in, and the process to start.
public struct RunStep {
    public var lowerDirectories: [String]
    public var upperDirectory: String
    /// A scratch folder beside the upper one (overlay's workdir).
    public var workDirectory: String
    public var argv: [String]
    public var environment: [String]
    public var workdir: String
    public var user: String?
    /// "none" or "host".
    public var network: String
    /// Extra mounts (`--mount=type=cache|bind`), host folder to container path.
    public var mounts: [RunStepMount]
    /// `--mount=type=tmpfs`: `PATH[:size=N]`, as `run --tmpfs` takes them.
    public var tmpfs: [String] = []
    /// A Dockerfile location for messages ("Dockerfile:5").
    public var location: String
    /// `-q`: the command's output is not shown.
    public var quiet = false
}

public struct RunStepMount: Equatable {
    public var source: String
    public var target: String
    public var readOnly: Bool
    public init(source: String, target: String, readOnly: Bool) {
        self.source = source; self.target = target; self.readOnly = readOnly
    }
}
