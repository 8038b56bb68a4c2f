import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `hutch top`: the container's processes, as `ps` on the host shows
/// them: every process in the container's PID namespace but hutch's tiny
/// init (an implementation detail, PID 1 inside).
public enum ContainerProcesses {
    /// Host pids of the processes in `container`'s PID namespace.
    public static func pids(of container: Container) throws -> [Int32] {
        let identity = ProcessIdentity(pid: container.state.pid, startTime: container.state.pidStartTime)
        guard container.state.status == .running, identity.isAlive else {
            throw ContainerError.notRunning(container.id)
        }
        guard let ns = namespace(of: identity.pid) else {
            throw ContainerError.io("cannot read the PID namespace of container \(container.config.shortID)")
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }
            .filter { $0 != identity.pid && namespace(of: $0) == ns }
            .sorted()
    }

    static func namespace(of pid: Int32) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/pid")
    }

    /// `ps` arguments: `-f -p PIDS` by default (Docker's `ps -ef` columns);
    /// with the user's options, those, filtered to the container's rows.
    public static func psArguments(pids: [Int32], options: [String]) -> [String] {
        let list = pids.map(String.init).joined(separator: ",")
        if options.isEmpty { return ["/bin/ps", "-f", "-p", list] }
        return ["/bin/ps"] + options
    }

    /// Keeps the header and the rows whose PID column is one of `pids`.
    public static func filter(_ output: String, pids: [Int32]) -> String {
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard let header = lines.first else { return output }
        let columns = header.split(separator: " ")
        guard let pidColumn = columns.firstIndex(of: "PID") else { return output }
        let wanted = Set(pids)
        let rows = lines.dropFirst().filter { line in
            let fields = line.split(separator: " ")
            return fields.count > pidColumn && Int32(fields[pidColumn]).map(wanted.contains) == true
        }
        return ([header] + rows).joined(separator: "\n") + "\n"
    }
}
