import ArgumentParser
import Containers

/// `hutch stop`: the stop signal, then SIGKILL after the timeout.
struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop one or more running containers.")
    @OptionGroup var store: StoreOptions
    @Option(name: [.customShort("t"), .customLong("time"), .customLong("timeout")], help: "Seconds to wait before killing the container (default 10).")
    var time: Int?
    @Option(name: [.customShort("s"), .long], help: "Signal to send (default: the image's STOPSIGNAL or SIGTERM).")
    var signal: String?
    @Argument(help: "Containers (names, IDs or ID prefixes).")
    var containers: [String]

    func run() throws {
        let manager = try store.containerManager()
        if let signal { _ = try Signals.parse(signal) }
        try forEachContainer(containers) { name in
            var c = try manager.repository.resolve(name)
            if let signal { c.config.stopSignal = signal }
            try manager.stop(c, timeout: time)
            FileHandleOutput.standardOutput.write(name + "\n")
        }
    }
}

/// `hutch kill`: a signal (SIGKILL by default) to the container.
struct KillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Kill one or more running containers.")
    @OptionGroup var store: StoreOptions
    @Option(name: [.customShort("s"), .long], help: "Signal to send to the container.")
    var signal = "KILL"
    @Argument(help: "Containers (names, IDs or ID prefixes).")
    var containers: [String]

    func run() throws {
        let manager = try store.containerManager()
        let sig = try Signals.parse(signal)
        try forEachContainer(containers) { name in
            try manager.kill(try manager.repository.resolve(name), signal: sig)
            FileHandleOutput.standardOutput.write(name + "\n")
        }
    }
}

/// `hutch wait`: blocks until containers stop, prints their exit codes.
struct WaitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wait", abstract: "Block until containers stop, then print their exit codes.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "Containers (names, IDs or ID prefixes).")
    var containers: [String]

    func run() throws {
        let manager = try store.containerManager()
        try forEachContainer(containers) { name in
            let code = try manager.wait(try manager.repository.resolve(name).id)
            FileHandleOutput.standardOutput.write("\(code)\n")
        }
    }
}
