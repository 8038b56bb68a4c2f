import ArgumentParser
import Builder
import Dockerfile
import Foundation
import Registry
import Store

/// `hutch build`: builds an image from a Dockerfile (Builder's
/// `BuildSession.run`), or with `--check` parses and lints it.
struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build an image from a Dockerfile")

    @Option(name: [.short, .customLong("tag")], help: "Name and optionally a tag (name:tag); may be repeated.")
    var tags: [String] = []
    @Option(name: [.short, .customLong("file")], help: "The Dockerfile (default: DIR/Dockerfile; - reads stdin).")
    var file: String?
    @Option(name: .customLong("build-arg"), help: "Set a build-time variable (NAME=value).")
    var buildArgs: [String] = []
    @Option(help: "The build stage to build.")
    var target: String?
    @Flag(name: .customLong("no-cache"), help: "Do not use the cache.")
    var noCache = false
    @Flag(help: "Always pull the base images.")
    var pull = false
    @Flag(name: [.short, .customLong("quiet")], help: "Print only the image ID.")
    var quiet = false
    @Option(help: "Progress output: auto or plain.")
    var progress: String = "auto"
    @Option(name: .customLong("label"), help: "Set an image label (NAME=value).")
    var labels: [String] = []
    @Option(help: "Write the image ID to this file.")
    var iidfile: String?
    @Option(help: ArgumentHelp("A secret for RUN --mount=type=secret: id=ID,src=FILE or id=ID,env=VAR.", valueName: "spec"))
    var secret: [String] = []
    @Option(help: ArgumentHelp("An SSH agent for RUN --mount=type=ssh: default (uses $SSH_AUTH_SOCK) or ID=SOCKET.", valueName: "spec"))
    var ssh: [String] = []
    @Option(help: "Network for RUN instructions: default, none or host.")
    var network: String?
    @Option(help: "Target platform (only the machine's own is supported).")
    var platform: String?
    @Flag(help: "Parse and lint the Dockerfile without building.")
    var check = false
    @Option(help: "With --check: text (default) or json (one object per instruction per line).")
    var format: String = "text"
    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "The build context folder.")
    var context: String = "."

    func run() throws {
        guard check else { return try build() }
        guard format == "text" || format == "json" else {
            throw CLIError("unknown --format \(format): use text or json", exitCode: 125)
        }
        let (bytes, name, path) = try readDockerfile()
        let dockerfile: Dockerfile
        do {
            dockerfile = try Dockerfile.parse(bytes: bytes, file: name)
            try checkIgnoreFile(dockerfilePath: path)
        } catch let error as DockerfileError {
            throw CLIError(error.description, exitCode: 1)
        }
        let warnings = DockerfileLinter.warnings(for: dockerfile)
        if format == "json" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var out = ""
            for node in dockerfile.syntax.instructions {
                out += String(decoding: try encoder.encode(node), as: UTF8.self) + "\n"
            }
            FileHandleOutput.standardOutput.write(out)
            FileHandleOutput.standardError.write(warnings.map { "\($0)\n" }.joined())
            return
        }
        var out = warnings.map { "\($0)\n" }.joined()
        switch warnings.count {
        case 0: out += "Check complete, no warnings found.\n"
        case 1: out += "Check complete, 1 warning has been found!\n"
        default: out += "Check complete, \(warnings.count) warnings have been found!\n"
        }
        FileHandleOutput.standardOutput.write(out)
    }

    func build() throws {
        guard progress == "auto" || progress == "plain" || progress == "tty" else {
            throw CLIError("invalid --progress \(progress): use auto, plain or tty", exitCode: 125)
        }
        if let platform, platform != BuildArguments.Platform.host.string {
            throw CLIError("--platform \(platform): hutch builds for this machine's platform only (\(BuildArguments.Platform.host.string))",
                           exitCode: 125)
        }
        var options = BuildOptions()
        options.tags = tags
        options.target = target
        options.buildArgs = buildArgs
        options.labels = labels
        options.noCache = noCache
        options.pull = pull
        options.quiet = quiet
        options.network = network
        options.iidfile = iidfile
        options.environment = ProcessInfo.processInfo.environment
        for spec in secret { try options.secrets.addSecret(spec, environment: options.environment) }
        for spec in ssh { try options.secrets.addAgent(spec, environment: options.environment) }
        let (store, config) = try storeOptions.openStoreWithConfig()
        do {
            _ = try BuildSession.run(context: context, file: file, options: options, store: store, config: config,
                                     runner: nil)
        } catch let error as BuildError {
            throw CLIError(error.description, exitCode: error.exitCode)
        }
    }

    /// The Dockerfile's bytes, the name messages use, and its path (nil for stdin).
    func readDockerfile() throws -> ([UInt8], String, String?) {
        if file == "-" {
            return ([UInt8](FileHandle.standardInput.readDataToEndOfFile()), "Dockerfile", nil)
        }
        let path = file ?? (context as NSString).appendingPathComponent("Dockerfile")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: context, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIError("unable to prepare context: path \"\(context)\" not found", exitCode: 1)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file or directory"
            throw CLIError("failed to read dockerfile: open \(path): \(reason)", exitCode: 1)
        }
        return ([UInt8](data), file ?? "Dockerfile", path)
    }

    /// A broken .dockerignore fails the build in Docker, so --check reports it.
    func checkIgnoreFile(dockerfilePath: String?) throws {
        let candidates = dockerfilePath.map { DockerIgnore.candidatePaths(dockerfile: $0, contextDirectory: context) }
            ?? [(context as NSString).appendingPathComponent(".dockerignore")]
        for path in candidates {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            do {
                _ = try DockerIgnore(parsing: String(decoding: data, as: UTF8.self))
            } catch let error as DockerIgnoreError {
                throw DockerfileError(file: path, line: 0, message: error.message)
            }
            return
        }
    }
}
