import ArgumentParser
import Containers
import Foundation
import Registry
import Sandbox
import RunCommandLine

/// `hutch run` for containers with a record: images, `-d`, private
/// networks. Detached ones get a monitor; foreground ones run as hutch's
/// child on its terminal (see Containers.ForegroundRun).
extension RunCommand {
    func runContainer(_ options: RunArguments) throws -> Int32 {
        let manager = try store.containerManager()
        let config = try options.makeConfig(manager: manager, command: command)
        try manager.create(config)
        if options.detach {
            do { try manager.start(config.id) } catch let error as StartError {
                throw CLIError(error.message, exitCode: error.exitCode)
            }
            FileHandleOutput.standardOutput.write(config.id + "\n")
            return 0
        }
        do {
            return try ForegroundRun(manager: manager).run(config.id) { FileHandleOutput.standardError.write($0 + "\n") }
        } catch let error as StartError {
            throw CLIError(error.message, exitCode: error.exitCode)
        }
    }
}

/// The container record a `run` makes from its options.
extension RunArguments {
    func makeConfig(manager: ContainerManager, command: [String]) throws -> ContainerConfig {
        let id = ContainerID.generate()
        let containerName = name ?? manager.repository.generateName()
        var env: [String] = []
        for file in envFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw CLIError("open \(file): no such file or directory") }
            env += try EnvironmentOption.parseFile(text, path: file, host: { ProcessInfo.processInfo.environment[$0] })
        }
        for e in self.env { if let v = try EnvironmentOption.resolve(e, host: { ProcessInfo.processInfo.environment[$0] }) { env.append(v) } }
        var ports: [PortMapping] = []
        for p in publish { ports += try PortMapping.parse(p) }
        // A plain --rootfs run has the host's network by default: limits alone do not change that.
        let net = network ?? (isPlainRootfsRunWithLimits ? "host" : "private")
        guard ["private", "host", "none", "bridge", "default"].contains(net) else {
            throw CLIError("network \(net) not found: hutch has --network private (the default), host and none")
        }
        let networkMode = (net == "bridge" || net == "default") ? "private" : net
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

        let imageName: String, imageID: String, root: ContainerConfig.RootSource, settings: ImageSettings
        if let rootfs {
            guard !command.isEmpty else { throw CLIError("no command given: hutch run --rootfs DIR COMMAND [ARG...]") }
            let absolute = rootfs.hasPrefix("/") ? rootfs : FileManager.default.currentDirectoryPath + "/" + rootfs
            imageName = absolute
            imageID = ""
            root = .folder(absolute)
            // A folder has no config: what the user typed is all there is.
            settings = try ImageSettings.resolve(image: nil, userCommand: command, entrypoint: entrypoint,
                                                 environment: env, workdir: workdir, user: user,
                                                 stopSignal: stopSignal, publishAll: false)
        } else {
            guard let name = command.first else {
                throw CLIError("\"hutch run\" requires at least 1 argument: hutch run [OPTIONS] IMAGE [COMMAND] [ARG...] (or --rootfs DIR)")
            }
            let image = try RunImage.find(name, storeRoot: manager.storeRoot)
            imageName = name
            imageID = image.id.description
            root = .image(layers: image.layers)
            settings = try ImageSettings.resolve(image: image.config.config, userCommand: Array(command.dropFirst()),
                                                 entrypoint: entrypoint, environment: env, workdir: workdir, user: user,
                                                 stopSignal: stopSignal, publishAll: publishAll)
        }
        ports += settings.exposedPorts
        if !ports.isEmpty && networkMode != "private" {
            throw CLIError("published ports need --network private (the default); with --network \(networkMode) they mean nothing")
        }
        var config = ContainerConfig(
            id: id, name: containerName, imageName: imageName, imageID: imageID, root: root, command: settings.command,
            environment: settings.environment, workdir: settings.workdir, user: settings.user, hostname: hostname,
            network: networkMode, ports: ports, addHosts: addHost, dns: dns, limits: limits, volumes: volume,
            tmpfs: tmpfs, capAdd: capAdd, capDrop: capDrop, securityOpts: securityOpt, ulimits: ulimit,
            readOnly: readOnly, userns: userns, tty: tty, interactive: interactive, stopSignal: settings.stopSignal,
            autoRemove: rm || isPlainRootfsRunWithLimits, labels: labels)
        if root.isImage, try HutchConfig.load().union == .overlay { config.union = "overlay" }
        return config
    }
}
