import Foundation

/// The fields `ps` shows for a container, as Docker words them.
public struct ContainerListing {
    public let container: Container
    public let now: Date
    public let truncate: Bool

    public init(_ container: Container, now: Date = Date(), truncate: Bool = true) {
        self.container = container
        self.now = now
        self.truncate = truncate
    }

    public var id: String { truncate ? container.config.shortID : container.id }
    public var image: String { container.config.imageName }

    /// `"sh -c 'while…"`: the command joined, cut to 20 characters, quoted.
    public var command: String {
        var text = container.config.command.joined(separator: " ")
        if truncate && text.count > 20 { text = String(text.prefix(19)) + "…" }
        return goQuote(text)
    }

    public var created: String { HumanTime.ago(container.config.created, now: now) }

    /// `Up 3 seconds`, `Exited (0) 2 minutes ago`, `Created`.
    public var status: String {
        let s = container.state
        switch s.status {
        case .created: return "Created"
        case .running: return "Up " + HumanTime.duration(now.timeIntervalSince(s.startedAt ?? container.config.created))
        case .exited:
            let since = s.finishedAt.map { " " + HumanTime.ago($0, now: now) } ?? ""
            return "Exited (\(s.exitCode))" + since
        }
    }

    public var state: String { container.state.status.rawValue }

    /// Published ports of a running container: `0.0.0.0:8080->80/tcp, ...`.
    public var ports: String {
        guard container.state.status == .running else { return "" }
        return container.state.ports.map(\.display).joined(separator: ", ")
    }

    public var names: String { container.name }

    /// Every field by its Go-template name, for `--format`.
    public var fields: [String: String] {
        ["ID": id, "Image": image, "Command": command, "CreatedAt": HumanTime.rfc3339Nano(container.config.created),
         "RunningFor": created, "Status": status, "State": state, "Ports": ports, "Names": names,
         "Labels": container.config.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
         "Networks": container.config.network, "Mounts": container.config.volumes.joined(separator: ","), "Size": ""]
    }

    public static let headers: [String: String] = [
        "ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT", "RunningFor": "CREATED",
        "Status": "STATUS", "State": "STATE", "Ports": "PORTS", "Names": "NAMES", "Labels": "LABELS",
        "Networks": "NETWORKS", "Mounts": "MOUNTS", "Size": "SIZE",
    ]

    public static let defaultFormat = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

    /// Go's strconv.Quote for the common cases.
    func goQuote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f { out += String(format: "\\x%02x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}

/// `ps --filter`: status=, name=, id=, exited=, label=, ancestor=.
public struct ContainerFilter {
    var conditions: [(String, String)] = []

    public init(_ filters: [String]) throws {
        for f in filters {
            guard let eq = f.firstIndex(of: "=") else {
                throw ContainerError.invalidOption("bad format of filter (expected name=value): \(f)")
            }
            let key = String(f[..<eq]), value = String(f[f.index(after: eq)...])
            guard ["status", "name", "id", "exited", "label", "ancestor"].contains(key) else {
                throw ContainerError.invalidOption("invalid filter '\(key)'")
            }
            if key == "status", !["created", "restarting", "running", "removing", "paused", "exited", "dead"].contains(value) {
                throw ContainerError.invalidOption("invalid filter 'status=\(value)'")
            }
            conditions.append((key, value))
        }
    }

    /// Docker ORs values of the same key and ANDs different keys.
    public func matches(_ c: Container) -> Bool {
        let keys = Set(conditions.map(\.0))
        return keys.allSatisfy { key in
            conditions.filter { $0.0 == key }.contains { _, value in
                switch key {
                case "status": return c.state.status.rawValue == value
                case "name": return c.name.contains(value)
                case "id": return c.id.hasPrefix(value)
                case "exited": return c.state.status == .exited && String(c.state.exitCode) == value
                case "ancestor": return c.config.imageName == value || c.config.imageID.hasPrefix(value) || c.config.imageID.dropFirst(7).hasPrefix(value)
                case "label":
                    let kv = value.split(separator: "=", maxSplits: 1).map(String.init)
                    return kv.count == 1 ? c.config.labels[kv[0]] != nil : c.config.labels[kv[0]] == kv[1]
                default: return false
                }
            }
        }
    }
}
