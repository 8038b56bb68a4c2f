import Foundation

/// `hutch inspect` of a container: Docker's JSON shape for the fields hutch has.
public enum ContainerInspection {
    /// The object, as JSONSerialization takes it; `logPath`: its json-file log.
    public static func object(_ c: Container, logPath: String = "") -> [String: Any] {
        let s = c.state, config = c.config
        var portMap: [String: Any] = [:]
        for m in (s.status == .running ? s.ports : config.ports) {
            let key = "\(m.containerPort)/\(m.proto.rawValue)"
            var list = portMap[key] as? [[String: String]] ?? []
            list.append(["HostIp": m.hostIP.isEmpty ? "0.0.0.0" : m.hostIP, "HostPort": m.hostPort == 0 ? "" : String(m.hostPort)])
            portMap[key] = list
        }
        let zero = "0001-01-01T00:00:00Z"
        return [
            "Id": c.id,
            "Created": HumanTime.rfc3339Nano(config.created),
            "Path": config.command.first ?? "",
            "Args": Array(config.command.dropFirst()),
            "State": [
                "Status": s.status.rawValue,
                "Running": s.status == .running,
                "Paused": false, "Restarting": false, "OOMKilled": false, "Dead": false,
                "Pid": s.status == .running ? Int(s.pid) : 0,
                "ExitCode": Int(s.exitCode),
                "Error": s.error ?? "",
                "StartedAt": s.startedAt.map(HumanTime.rfc3339Nano) ?? zero,
                "FinishedAt": s.finishedAt.map(HumanTime.rfc3339Nano) ?? zero,
            ] as [String: Any],
            "Image": config.imageID,
            "Name": "/" + config.name,
            "RestartCount": s.restartCount,
            "LogPath": logPath,
            "Config": [
                "Hostname": config.hostname ?? config.shortID,
                "User": config.user ?? "",
                "Tty": config.tty,
                "OpenStdin": config.interactive,
                "Env": config.environment,
                "Cmd": config.command,
                "Image": config.imageName,
                "WorkingDir": config.workdir ?? "",
                "Labels": config.labels,
                "StopSignal": config.stopSignal,
            ] as [String: Any],
            "HostConfig": [
                "NetworkMode": config.network,
                "AutoRemove": config.autoRemove,
                "Binds": config.volumes,
                "ReadonlyRootfs": config.readOnly,
                "CapAdd": config.capAdd,
                "CapDrop": config.capDrop,
                "SecurityOpt": config.securityOpts,
                "Memory": Int(config.limits.memoryBytes ?? 0),
                "NanoCpus": Int((config.limits.cpus ?? 0) * 1e9),
                "PidsLimit": config.limits.pids ?? 0,
                "ExtraHosts": config.addHosts,
                "Dns": config.dns,
            ] as [String: Any],
            "NetworkSettings": ["Ports": portMap] as [String: Any],
        ]
    }
}
