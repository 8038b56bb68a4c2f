import OCI

/// What `run IMAGE` takes from the image's config, combined with the
/// options the user typed, by Docker's rules.
public struct ImageSettings: Equatable {
    /// Entrypoint followed by the command.
    public var command: [String]
    /// The image's Env, then the user's `-e` (later entries of a key win).
    public var environment: [String]
    public var workdir: String?
    public var user: String?
    public var stopSignal: String
    /// `-P`: every EXPOSEd port, each on a free host port (hostPort 0).
    public var exposedPorts: [PortMapping]

    /// - `userCommand` replaces the image's Cmd; `entrypoint` (when given)
    ///   replaces the image's Entrypoint and drops its Cmd, `""` clearing it.
    /// - `-w`, `-u` and `--stop-signal` override WorkingDir, User and StopSignal.
    public static func resolve(image: OCI.ContainerConfig?, userCommand: [String], entrypoint: String?,
                               environment: [String], workdir: String?, user: String?, stopSignal: String?,
                               publishAll: Bool) throws -> ImageSettings {
        let image = image ?? OCI.ContainerConfig()
        var command: [String]
        if let entrypoint {
            command = entrypoint.isEmpty ? [] : [entrypoint]
            command += userCommand
        } else {
            command = (image.entrypoint ?? []) + (userCommand.isEmpty ? (image.cmd ?? []) : userCommand)
        }
        guard !command.isEmpty else {
            throw ContainerError.invalidOption("no command specified: the image has no CMD or ENTRYPOINT; give one after the image name")
        }
        // An Env entry without '=' would mean "the host's value" to the sandbox; images never mean that.
        let env = (image.env ?? []).filter { $0.contains("=") } + environment
        var ports: [PortMapping] = []
        if publishAll {
            for key in (image.exposedPorts ?? [:]).keys.sorted() {
                guard let (port, proto) = PortMapping.parseExposed(key) else { continue }
                ports.append(PortMapping(hostPort: 0, containerPort: port, proto: proto))
            }
        }
        return ImageSettings(command: command, environment: env,
                             workdir: workdir ?? nonEmpty(image.workingDir),
                             user: user ?? nonEmpty(image.user),
                             stopSignal: stopSignal ?? nonEmpty(image.stopSignal) ?? "SIGTERM",
                             exposedPorts: ports)
    }

    private static func nonEmpty(_ s: String?) -> String? { s.flatMap { $0.isEmpty ? nil : $0 } }
}
