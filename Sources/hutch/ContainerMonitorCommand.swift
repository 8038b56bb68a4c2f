import ArgumentParser
import Containers
import Store
#if canImport(Glibc)
import Glibc
#endif

/// `hutch container-monitor ID` (hidden): the per-container monitor that
/// `run -d` and `start` leave running. See Containers/Monitor.swift.
struct ContainerMonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "container-monitor", shouldDisplay: false)
    @OptionGroup var store: StoreOptions
    @Argument var id: String

    func run() throws {
        let repository = try ContainerRepository(storeRoot: store.location().root)
        // fd 3 is the pipe `start` waits on; the container must not inherit it.
        _ = fcntl(3, F_SETFD, FD_CLOEXEC)
        let monitor = Monitor(repository: repository, id: id, launcher: SandboxLauncher())
        throw ExitCode(monitor.run(report: 3))
    }
}
