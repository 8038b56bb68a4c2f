/// One published port, `-p [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp]`.
public struct PortMapping: Codable, Equatable, Hashable, Sendable {
    public enum Proto: String, Codable, Sendable { case tcp, udp }

    /// The host address to listen on; "" means every address (0.0.0.0).
    public var hostIP: String
    /// 0 until a free port is chosen (`-p 80`, `-P`).
    public var hostPort: Int
    public var containerPort: Int
    public var proto: Proto

    public init(hostIP: String = "", hostPort: Int, containerPort: Int, proto: Proto = .tcp) {
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.proto = proto
    }

    /// Parses one `-p` value; ranges (`8000-8002:8000-8002`) give one
    /// mapping per port.
    public static func parse(_ text: String) throws -> [PortMapping] {
        func bad(_ why: String) -> ContainerError {
            .invalidOption("invalid publish option \"\(text)\": \(why); expected [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp]")
        }
        var spec = Substring(text)
        var proto = Proto.tcp
        if let slash = spec.lastIndex(of: "/") {
            guard let p = Proto(rawValue: String(spec[spec.index(after: slash)...]).lowercased()) else {
                throw bad("unknown protocol")
            }
            proto = p
            spec = spec[..<slash]
        }
        var ip = ""
        // An IPv6 host address is written in brackets: [::1]:8080:80.
        if spec.hasPrefix("[") {
            guard let close = spec.firstIndex(of: "]") else { throw bad("unclosed [") }
            ip = String(spec[spec.index(after: spec.startIndex)..<close])
            spec = spec[spec.index(after: close)...]
            guard spec.hasPrefix(":") else { throw bad("missing host port") }
            spec = spec.dropFirst()
            let rest = spec.split(separator: ":", omittingEmptySubsequences: false)
            guard rest.count == 2 else { throw bad("expected HOSTPORT:CONTAINERPORT after the address") }
            return try build(host: rest[0], container: rest[1], ip: ip, proto: proto, bad: bad)
        }
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return try build(host: "", container: parts[0], ip: "", proto: proto, bad: bad)
        case 2: return try build(host: parts[0], container: parts[1], ip: "", proto: proto, bad: bad)
        case 3:
            ip = String(parts[0])
            guard isIPv4(ip) else { throw bad("'\(ip)' is not an IPv4 address") }
            return try build(host: parts[1], container: parts[2], ip: ip, proto: proto, bad: bad)
        default: throw bad("too many colons")
        }
    }

    private static func build(host: Substring, container: Substring, ip: String, proto: Proto,
                              bad: (String) -> ContainerError) throws -> [PortMapping] {
        let containerRange = try range(container, bad: bad)
        guard let containerRange else { throw bad("missing container port") }
        let hostRange = try range(host, bad: bad)
        if let hostRange, hostRange.count != containerRange.count {
            throw bad("the host and container port ranges differ in size")
        }
        return containerRange.enumerated().map { i, port in
            PortMapping(hostIP: ip, hostPort: hostRange.map { $0.lowerBound + i } ?? 0, containerPort: port, proto: proto)
        }
    }

    private static func range(_ text: Substring, bad: (String) -> ContainerError) throws -> ClosedRange<Int>? {
        if text.isEmpty { return nil }
        let ends = text.split(separator: "-", omittingEmptySubsequences: false)
        guard ends.count <= 2 else { throw bad("'\(text)' is not a port or range") }
        let numbers = try ends.map { s -> Int in
            guard s.utf8.count <= 5, let n = Int(s), n >= 1, n <= 65535 else { throw bad("'\(s)' is not a port between 1 and 65535") }
            return n
        }
        guard numbers.last! >= numbers.first! else { throw bad("the range '\(text)' goes backwards") }
        return numbers.first!...numbers.last!
    }

    static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in p.utf8.count <= 3 && Int(p).map { $0 <= 255 } == true && !p.isEmpty }
    }

    /// Docker's `ps` form: `0.0.0.0:8080->80/tcp`.
    public var display: String {
        "\(hostIP.isEmpty ? "0.0.0.0" : hostIP):\(hostPort)->\(containerPort)/\(proto.rawValue)"
    }

    /// `docker port` form: `80/tcp -> 0.0.0.0:8080`.
    public var portLine: String {
        "\(containerPort)/\(proto.rawValue) -> \(hostIP.isEmpty ? "0.0.0.0" : hostIP):\(hostPort)"
    }

    /// An image's `ExposedPorts` key: `80/tcp`, `53/udp`, `8080`.
    public static func parseExposed(_ key: String) -> (Int, Proto)? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard let port = Int(parts[0]), port >= 1, port <= 65535 else { return nil }
        if parts.count == 1 { return (port, .tcp) }
        guard parts.count == 2, let p = Proto(rawValue: parts[1].lowercased()) else { return nil }
        return (port, p)
    }
}
