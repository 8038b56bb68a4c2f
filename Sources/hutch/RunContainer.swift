import ArgumentParser
import Containers
import Foundation
import Sandbox

/// `hutch run` for containers that live on: `-d`, images, private networks.
/// The container gets a record and a monitor; the CLI follows its log when
/// not detached.
extension RunCommand {
    func runContainer() throws -> Int32 {
        let manager = try store.containerManager()
        let config = try makeConfig(manager: manager)
        if tty || interactive, !detach {
            throw CLIError("-i and -t with a private network or an image are not supported yet: use --network host or none with --rootfs")
        }
        try manager.repository.create(config)
        if detach {
            do { try manager.start(config.id) } catch let error as StartError {
                throw CLIError(error.message, exitCode: error.exitCode)
            }
            FileHandleOutput.standardOutput.write(config.id + "\n")
            return 0
        }
        let c = try manager.repository.load(config.id)
        let code: Int32
        do { code = try ContainerAttach.startAttached(c, manager: manager) } catch let error as StartError {
            if rm { manager.repository.delete(config.id) }
            throw CLIError(error.message, exitCode: error.exitCode)
        }
        if rm, let now = try? manager.repository.load(config.id) { try? manager.remove(now, force: true) }
        return code
    }

    func makeConfig(manager: ContainerManager) throws -> ContainerConfig {
        let id = ContainerID.generate()
        let containerName = try name ?? manager.repository.generateName()
        var env: [String] = []
        for file in envFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw CLIError("open \(file): no such file or directory") }
            env += try EnvironmentOption.parseFile(text, path: file, host: { ProcessInfo.processInfo.environment[$0] })
        }
        for e in self.env { if let v = try EnvironmentOption.resolve(e, host: { ProcessInfo.processInfo.environment[$0] }) { env.append(v) } }
        var ports: [PortMapping] = []
        for p in publish { ports += try PortMapping.parse(p) }
        let net = network ?? "private"
        guard ["private", "host", "none", "bridge", "default"].contains(net) else {
            throw CLIError("network \(net) not found: hutch has --network private (the default), host and none")
        }
        let networkMode = (net == "bridge" || net == "default") ? "private" : net
        if !ports.isEmpty && networkMode != "private" {
            throw CLIError("published ports need --network private (the default); with --network \(networkMode) they mean nothing")
        }
        var limits = ResourceLimits()
        if let memory { limits.memoryBytes = try ResourceLimits.parseMemory(memory) }
        if let cpus { limits.cpus = try ResourceLimits.parseCPUs(cpus) }
        limits.pids = pidsLimit
        // A clear error now rather than from the monitor.
        if !limits.isEmpty { _ = try CgroupDelegation.find() }
        for h in addHost { _ = try NetworkFiles.parseAddHost(h) }
        var labels: [String: String] = [:]
        for l in label {
            let kv = l.split(separator: "=", maxSplits: 1).map(String.init)
            labels[kv[0]] = kv.count == 2 ? kv[1] : ""
        }
        guard let rootfs else {
            throw CLIError("running an image needs the image store: hutch run --rootfs DIR for now")
        }
        guard !command.isEmpty else { throw CLIError("no command given: hutch run --rootfs DIR COMMAND [ARG...]") }
        let absolute = rootfs.hasPrefix("/") ? rootfs : FileManager.default.currentDirectoryPath + "/" + rootfs
        if publishAll { /* a folder rootfs has no EXPOSE */ }
        return ContainerConfig(
            id: id, name: containerName, imageName: absolute, root: .folder(absolute), command: command,
            environment: env, workdir: workdir, user: user, hostname: hostname, network: networkMode, ports: ports,
            addHosts: addHost, dns: dns, limits: limits, volumes: volume, tmpfs: tmpfs, capAdd: capAdd, capDrop: capDrop,
            securityOpts: securityOpt, ulimits: ulimit, readOnly: readOnly, userns: userns, tty: tty,
            interactive: interactive, stopSignal: stopSignal ?? "SIGTERM", autoRemove: rm && detach, labels: labels)
    }
}
