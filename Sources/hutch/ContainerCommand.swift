import ArgumentParser
import Containers
import Foundation

/// `hutch container ...`: the container commands grouped, as in Docker.
struct ContainerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container", abstract: "Manage containers.",
        subcommands: [PsCommand.self, ContainerInspectCommand.self, ContainerPruneCommand.self, RmCommand.self,
                      StopCommand.self, StartCommand.self, RestartCommand.self, KillCommand.self, LogsCommand.self,
                      WaitCommand.self, PortCommand.self])
}

/// `hutch container inspect`: Docker's JSON for containers.
struct ContainerInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more containers.")
    @OptionGroup var store: StoreOptions
    @Option(name: .shortAndLong, help: "Format output using a Go-like template ({{.State.Status}}, {{.Id}}...).")
    var format: String?
    @Argument(help: "Containers (names, IDs or ID prefixes).")
    var containers: [String]

    func run() throws {
        let manager = try store.containerManager()
        var found: [Container] = []
        var missing = false
        for name in containers {
            do { found.append(try manager.repository.resolve(name)) } catch {
                FileHandleOutput.standardError.write("Error: \(error)\n")
                missing = true
            }
        }
        if let format {
            for c in found { FileHandleOutput.standardOutput.write(Self.render(format, ContainerInspection.object(c)) + "\n") }
        } else {
            FileHandleOutput.standardOutput.write(ContainerInspection.json(found))
        }
        if missing { throw ExitCode(1) }
    }

    /// `{{.State.Status}}`-style paths into the inspect object.
    static func render(_ format: String, _ object: [String: Any]) -> String {
        var result = ""
        var rest = Substring(format)
        while let open = rest.range(of: "{{") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            let path = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            var value: Any? = object
            for key in path.split(separator: ".") { value = (value as? [String: Any])?[String(key)] }
            switch value {
            case let s as String: result += s
            case let b as Bool: result += b ? "true" : "false"
            case let n as Int: result += String(n)
            case let v?:
                if let data = try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys]) { result += String(decoding: data, as: UTF8.self) }
            default: result += "<no value>"
            }
            rest = rest[close.upperBound...]
        }
        return result + rest
    }
}

/// `hutch container prune`: removes every stopped container.
struct ContainerPruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove all stopped containers.")
    @OptionGroup var store: StoreOptions
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation.")
    var force = false

    func run() throws {
        if !force {
            guard confirm("WARNING! This will remove all stopped containers.") else { return }
        }
        let (deleted, reclaimed) = try store.containerManager().pruneStopped()
        var out = ""
        if !deleted.isEmpty { out += "Deleted Containers:\n" + deleted.map { $0 + "\n" }.joined() + "\n" }
        out += "Total reclaimed space: \(DockerFormat.size(reclaimed))\n"
        FileHandleOutput.standardOutput.write(out)
    }
}
