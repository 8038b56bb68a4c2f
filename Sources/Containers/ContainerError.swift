/// Failures the user can act on, worded as Docker words them.
public enum ContainerError: Error, CustomStringConvertible, Equatable {
    case noSuchContainer(String)
    case ambiguous(String, [String])
    case nameInUse(String, String)
    case invalidName(String)
    case running(String)
    case notRunning(String)
    case invalidOption(String)
    case portInUse(String)
    case privilegedPort(Int, Int)
    case network(String)
    case limits(String)
    case monitor(String)
    case io(String)

    public var description: String {
        switch self {
        case .noSuchContainer(let q): return "No such container: \(q)"
        case .ambiguous(let q, let ids):
            return "multiple containers match \"\(q)\": \(ids.joined(separator: ", ")): use more of the ID"
        case .nameInUse(let name, let id):
            return "Conflict. The container name \"/\(name)\" is already in use by container \"\(id)\". You have to remove (or rename) that container to be able to reuse that name."
        case .invalidName(let n):
            return "Invalid container name (\(n)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        case .running(let id):
            return "cannot remove container \"\(id)\": container is running: stop the container before removing or force remove"
        case .notRunning(let id): return "container \(id) is not running"
        case .invalidOption(let m), .network(let m), .limits(let m), .monitor(let m), .io(let m): return m
        case .portInUse(let m): return m
        case .privilegedPort(let port, let start):
            return "cannot publish host port \(port): ports below \(start) need root (net.ipv4.ip_unprivileged_port_start is \(start)); choose a port of \(start) or above, e.g. -p 8080:\(port)"
        }
    }
}
