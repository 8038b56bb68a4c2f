import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Checks host ports before a container starts, so a port below the
/// unprivileged start or one already bound is a clear error up front
/// (pasta would otherwise start without it and say nothing).
public enum PortCheck {
    public static func unprivilegedPortStart(_ path: String = "/proc/sys/net/ipv4/ip_unprivileged_port_start") -> Int {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "1024"
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 1024
    }

    /// Fills in free host ports for mappings that have none, and checks the
    /// others are allowed and free.
    public static func prepare(_ mappings: [PortMapping], taken: Set<Int> = []) throws -> [PortMapping] {
        let start = unprivilegedPortStart()
        var result: [PortMapping] = []
        var used = taken
        for var m in mappings {
            if m.hostPort == 0 {
                m.hostPort = try freePort(ip: m.hostIP, proto: m.proto, avoiding: used)
            } else {
                if m.hostPort < start && getuid() != 0 { throw ContainerError.privilegedPort(m.hostPort, start) }
                if let reason = bindProblem(ip: m.hostIP, port: m.hostPort, proto: m.proto) {
                    throw ContainerError.portInUse("cannot publish \(m.display): host port \(m.hostPort)/\(m.proto.rawValue) \(reason)")
                }
            }
            if result.contains(where: { $0.hostPort == m.hostPort && $0.proto == m.proto && $0.hostIP == m.hostIP }) {
                throw ContainerError.portInUse("host port \(m.hostPort)/\(m.proto.rawValue) is published twice")
            }
            used.insert(m.hostPort)
            result.append(m)
        }
        return result
    }

    /// nil when `ip:port` can be bound now; otherwise why not.
    public static func bindProblem(ip: String, port: Int, proto: PortMapping.Proto) -> String? {
        let fd = socket(AF_INET, proto == .tcp ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return "cannot be checked: \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        if ip.isEmpty { addr.sin_addr.s_addr = 0 } else if inet_pton(AF_INET, ip, &addr.sin_addr) != 1 {
            return "has an address that is not IPv4: \(ip)"
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc == 0 {
            if proto == .tcp, listen(fd, 1) != 0 { return "is already in use" }
            return nil
        }
        switch errno {
        case EADDRINUSE: return "is already in use (another container or program listens on it)"
        case EADDRNOTAVAIL: return "cannot be bound: \(ip) is not an address of this host"
        case EACCES: return "needs root"
        default: return "cannot be bound: \(String(cString: strerror(errno)))"
        }
    }

    /// A port the kernel picks as free, as Docker does for `-p 80` and `-P`.
    static func freePort(ip: String, proto: PortMapping.Proto, avoiding: Set<Int>) throws -> Int {
        for _ in 0..<20 {
            let fd = socket(AF_INET, proto == .tcp ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { break }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            if !ip.isEmpty { inet_pton(AF_INET, ip, &addr.sin_addr) }
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let ok = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
                }
            }
            close(fd)
            let port = Int(UInt16(bigEndian: addr.sin_port))
            if ok, port > 0, !avoiding.contains(port) { return port }
        }
        throw ContainerError.portInUse("no free host port found to publish on")
    }
}
