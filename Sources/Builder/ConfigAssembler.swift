import Dockerfile
import Foundation
import OCI

/// Applies the instructions that change only the image config (ENV,
/// LABEL, CMD, ...) to a config, as Docker does, and words their history
/// entries. Pure: the executor calls it for every step, cached or not.
public enum ConfigAssembler {
    public static let defaultShell = ["/bin/sh", "-c"]

    /// The container config after `instruction` (already expanded).
    public static func apply(_ instruction: Instruction, to config: inout ContainerConfig, author: inout String?) throws {
        switch instruction {
        case .env(let env):
            var list = config.env ?? []
            for pair in env.pairs { setVariable(pair.key, pair.value, in: &list) }
            config.env = list
        case .label(let label):
            var labels = config.labels ?? [:]
            for pair in label.pairs { labels[pair.key] = pair.value }
            config.labels = labels
        case .maintainer(let m):
            author = m.value
        case .expose(let expose):
            var ports = config.exposedPorts ?? [:]
            for port in expose.values {
                ports[port.contains("/") ? port.lowercased() : port + "/tcp"] = EmptyObject()
            }
            config.exposedPorts = ports
        case .volume(let volume):
            var volumes = config.volumes ?? [:]
            for path in volume.values where !path.isEmpty { volumes[path] = EmptyObject() }
            config.volumes = volumes
        case .user(let user):
            config.user = user.value
        case .workdir(let workdir):
            config.workingDir = resolveWorkdir(workdir.value, from: config.workingDir)
        case .stopSignal(let signal):
            config.stopSignal = signal.value
        case .cmd(let cmd):
            config.cmd = commandArguments(cmd, shell: config.shell)
        case .entrypoint(let entrypoint):
            config.entrypoint = commandArguments(entrypoint, shell: config.shell)
            // Docker: an ENTRYPOINT resets a CMD inherited from the base image.
            config.cmd = nil
        case .shell(let shell):
            config.shell = shell.shell
        case .onbuild(let onbuild):
            config.onBuild = (config.onBuild ?? []) + [onbuild.expression]
        case .healthcheck(let check):
            // OCI's Healthcheck has only its Codable initializer.
            var h = try JSONDecoder().decode(Healthcheck.self, from: Data("{}".utf8))
            h.test = check.test
            if check.interval > 0 { h.interval = check.interval }
            if check.timeout > 0 { h.timeout = check.timeout }
            if check.startPeriod > 0 { h.startPeriod = check.startPeriod }
            if check.retries > 0 { h.retries = check.retries }
            config.healthcheck = h
        case .from, .run, .copy, .add, .arg:
            break
        }
    }

    /// CMD and ENTRYPOINT: JSON form as written, shell form through the shell.
    public static func commandArguments(_ command: CommandInstruction, shell: [String]?) -> [String] {
        guard command.command.prependShell else { return command.command.arguments }
        return (shell ?? defaultShell) + [command.command.arguments.joined(separator: " ")]
    }

    /// WORKDIR: relative paths append to the previous one.
    public static func resolveWorkdir(_ value: String, from current: String?) -> String {
        if value.hasPrefix("/") { return TreePath.clean(value) }
        return TreePath.clean((current ?? "/") + "/" + value)
    }

    public static func setVariable(_ name: String, _ value: String, in list: inout [String]) {
        let entry = "\(name)=\(value)"
        if let index = list.firstIndex(where: { $0.hasPrefix(name + "=") }) {
            list[index] = entry
        } else {
            list.append(entry)
        }
    }

    /// The config's Env as a dictionary (for expanding later instructions).
    public static func environment(_ config: ContainerConfig) -> [String: String] {
        var env: [String: String] = [:]
        for entry in config.env ?? [] {
            guard let eq = entry.firstIndex(of: "=") else { continue }
            env[String(entry[..<eq])] = String(entry[entry.index(after: eq)...])
        }
        return env
    }

    /// The history line of a step, as BuildKit words it: the instruction as
    /// written on one line, RUN with its shell.
    public static func historyText(_ instruction: Instruction, shell: [String]?) -> String {
        let node = instruction.node
        switch instruction {
        case .run(let run):
            let argv = run.command.prependShell
                ? (shell ?? defaultShell) + [run.command.arguments.joined(separator: " ")]
                : run.command.arguments
            return "RUN " + argv.joined(separator: " ")
        case .cmd(let c), .entrypoint(let c):
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            let json = (try? String(decoding: encoder.encode(commandArguments(c, shell: shell)), as: UTF8.self)) ?? ""
            return "\(node.keyword) \(json)"
        default:
            let words = ([node.keyword] + node.flags + node.arguments).joined(separator: " ")
            return words.split(whereSeparator: { $0 == "\n" }).joined(separator: " ")
        }
    }
}
