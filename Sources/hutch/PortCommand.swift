import ArgumentParser
import Containers

/// `hutch port`: the published ports of a container.
struct PortCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "port", abstract: "List port mappings or a specific mapping for the container.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The container.")
    var container: String
    @Argument(help: "PRIVATE_PORT[/PROTO]")
    var privatePort: String?

    func run() throws {
        let manager = try store.containerManager()
        let c = try manager.repository.resolve(container)
        var ports = c.state.status == .running ? c.state.ports : []
        if let privatePort {
            guard let (port, proto) = PortMapping.parseExposed(privatePort) else {
                throw CLIError("invalid port \(privatePort): expected PORT[/tcp|udp]")
            }
            ports = ports.filter { $0.containerPort == port && $0.proto == proto }
            guard !ports.isEmpty else { throw CLIError("No public port '\(port)/\(proto.rawValue)' published for \(container)") }
            FileHandleOutput.standardOutput.write(ports.map { "\($0.hostIP.isEmpty ? "0.0.0.0" : $0.hostIP):\($0.hostPort)\n" }.joined())
            return
        }
        FileHandleOutput.standardOutput.write(ports.map { $0.portLine + "\n" }.joined())
    }
}
