import ArgumentParser
import Registry

/// `hutch logout [SERVER]`: forgets the saved login.
struct LogoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Log out from a registry")

    @Argument(help: "Registry host[:port] (docker.io when omitted)")
    var server: String = "docker.io"

    func run() throws {
        _ = try HutchConfig.loadAndInstall()
        let name = LoginCommand.registryName(server)
        let removed = try CredentialStore.standard().remove(for: name)
        if removed {
            FileHandleOutput.standardOutput.write("Removing login credentials for \(name)\n")
        } else {
            FileHandleOutput.standardOutput.write("Not logged in to \(name)\n")
        }
    }
}
