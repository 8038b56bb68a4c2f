import ArgumentParser
import Containers
import Foundation

/// `hutch top CONTAINER [ps OPTIONS]`: the container's processes (Containers.ContainerProcesses).
struct TopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "top", abstract: "Display the running processes of a container.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The container.") var container: String
    @Argument(parsing: .captureForPassthrough, help: "ps options (default: -f).") var psOptions: [String] = []

    func run() throws {
        let manager = try store.containerManager()
        let pids: [Int32]
        do { pids = try ContainerProcesses.pids(of: try manager.repository.resolve(container)) } catch let error as ContainerError {
            throw CLIError("\(error)", exitCode: 1)
        }
        let process = Process()
        let argv = ContainerProcesses.psArguments(pids: pids, options: psOptions)
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        FileHandleOutput.standardOutput.write(ContainerProcesses.filter(String(decoding: data, as: UTF8.self), pids: pids))
    }
}
