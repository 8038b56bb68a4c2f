import ArgumentParser
import Foundation
import Registry

/// `hutch login [-u USER] [-p PASS | --password-stdin] SERVER`: checks the
/// login against the registry, then saves it (mode 0600) for pull and push.
struct LoginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in to a registry")

    @Option(name: [.short, .long], help: "Username")
    var username: String?

    @Option(name: [.short, .long], help: "Password")
    var password: String?

    @Flag(name: .long, help: "Take the password from stdin")
    var passwordStdin = false

    @Argument(help: "Registry host[:port] (docker.io when omitted)")
    var server: String = "docker.io"

    func run() throws {
        let config = try HutchConfig.loadAndInstall()
        let host = RegistryHost(name: LoginCommand.registryName(server), config: config)
        if password != nil && passwordStdin {
            throw CLIError("--password and --password-stdin are mutually exclusive")
        }
        var user = username
        if user == nil {
            guard !passwordStdin else { throw CLIError("Must provide --username with --password-stdin") }
            FileHandleOutput.standardOutput.write("Username: ")
            user = readLine(strippingNewline: true)
        }
        guard let user, !user.isEmpty else { throw CLIError("Non-null Username Required") }
        var secret = password
        if passwordStdin {
            var lines: [String] = []
            while let line = readLine(strippingNewline: true) { lines.append(line) }
            secret = lines.joined(separator: "\n").trimmingCharacters(in: CharacterSet(charactersIn: "\r\n"))
        } else if secret == nil {
            secret = String(cString: getpass("Password: "))
        } else {
            FileHandleOutput.standardError.write("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n")
        }
        guard let secret, !secret.isEmpty else { throw CLIError("Password Required") }
        let credentials = Credentials(username: user, password: secret)
        let client = RegistryClient(host: host, credentials: credentials)
        do {
            try blockingAwait { try await client.checkLogin() }
        } catch let error as RegistryError {
            if case .unauthorized = error { throw CLIError("login attempt to \(host.baseURL)/v2/ failed with status: 401 Unauthorized") }
            throw error
        }
        let store = CredentialStore.standard()
        try store.store(credentials, for: host.name)
        FileHandleOutput.standardOutput.write("Login Succeeded\n")
    }

    /// `https://host:5000/v1/` and `host:5000` name the same registry.
    static func registryName(_ server: String) -> String {
        var s = Substring(server)
        if let scheme = s.range(of: "://") { s = s[scheme.upperBound...] }
        if let slash = s.firstIndex(of: "/") { s = s[..<slash] }
        return s == "index.docker.io" || s == "registry-1.docker.io" ? "docker.io" : String(s)
    }
}
