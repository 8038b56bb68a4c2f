import ArgumentParser
import Containers
import Foundation

/// `hutch start`: starts stopped containers again (through a new monitor).
struct StartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start one or more stopped containers.")
    @OptionGroup var store: StoreOptions
    @Flag(name: .shortAndLong, help: "Attach STDOUT/STDERR and forward the exit code.")
    var attach = false
    @Flag(name: .shortAndLong, help: "Attach STDIN: the container runs in the foreground on this terminal (its own pty if it was created with -t), as `run -it` does.")
    var interactive = false
    @Argument(help: "Containers (names, IDs or ID prefixes).")
    var containers: [String]

    func run() throws {
        let manager = try store.containerManager()
        if interactive {
            // `start -ai NAME` after `run -it --name NAME ...` ended: the same
            // foreground run again, hutch playing the monitor's part.
            guard containers.count == 1 else { throw CLIError("you cannot start and attach multiple containers at once") }
            let c = try manager.repository.resolve(containers[0])
            guard c.state.status != .running else {
                throw CLIError("container \(c.name) is running: hutch cannot attach to its input; use hutch exec -it \(c.name) sh")
            }
            let code: Int32
            do {
                code = try ForegroundRun(manager: manager).run(c.id, interactive: true) { FileHandleOutput.standardError.write($0 + "\n") }
            } catch let error as StartError {
                throw CLIError(error.message, exitCode: error.exitCode)
            }
            throw ExitCode(code)
        }
        if attach {
            guard containers.count == 1 else { throw CLIError("you cannot start and attach multiple containers at once") }
            let c = try manager.repository.resolve(containers[0])
            let end = try ContainerAttach.startAttached(c, manager: manager)
            throw ExitCode(end)
        }
        try forEachContainer(containers) { name in
            let c = try manager.repository.resolve(name)
            if c.state.status != .running { try manager.start(c.id) }
            FileHandleOutput.standardOutput.write(name + "\n")
        }
    }
}

/// `hutch restart`: stop, then start.
struct RestartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart one or more containers.")
    @OptionGroup var store: StoreOptions
    @Option(name: [.customShort("t"), .customLong("time")], help: "Seconds to wait before killing the container (default 10).")
    var time: Int?
    @Argument(help: "Containers (names, IDs or ID prefixes).")
    var containers: [String]

    func run() throws {
        let manager = try store.containerManager()
        try forEachContainer(containers) { name in
            let c = try manager.repository.resolve(name)
            try manager.stop(c, timeout: time)
            // Wait for the old monitor to let go before a new one starts.
            _ = try manager.wait(c.id)
            try manager.start(c.id)
            FileHandleOutput.standardOutput.write(name + "\n")
        }
    }
}

/// Following a container's log from its start to its end (`start -a`, `run` without -d).
enum ContainerAttach {
    static func startAttached(_ c: Container, manager: ContainerManager) throws -> Int32 {
        let repository = manager.repository
        // Only what this run writes: skip what is in the log already.
        var options = LogReader.Options()
        options.follow = true
        options.since = Date()
        try manager.start(c.id)
        let reader = LogReader(path: repository.logPath(c.id), options: options)
        reader.stream(stillWriting: {
            guard let now = try? repository.load(c.id) else { return false }
            return now.state.status == .running || repository.monitorAlive(c.id)
        }) { entry in
            (entry.stream == "stderr" ? FileHandleOutput.standardError : .standardOutput).write(entry.log)
        }
        return (try? repository.load(c.id).state.exitCode) ?? 0
    }
}
