import Foundation

/// What `hutch build --secret` and `--ssh` make available to `RUN
/// --mount=type=secret|ssh`, as BuildKit's flags do: never written to a
/// layer and not part of the cache key.
public struct BuildSecrets: Equatable {
    public enum Source: Equatable {
        case file(String)
        case environment(String)
    }

    /// Secret id -> where its value comes from.
    public var secrets: [String: Source] = [:]
    /// SSH agent id ("default") -> the agent's socket on the host.
    public var agents: [String: String] = [:]

    public init() {}

    /// `--secret id=ID[,src=PATH|,env=VAR][,type=file|env]`; a bare `id=ID`
    /// reads the environment variable ID when it is set, else the file ID.
    public mutating func addSecret(_ spec: String, environment: [String: String]) throws {
        var id: String?, src: String?, env: String?, type: String?
        for field in spec.split(separator: ",") {
            let kv = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, !kv[1].isEmpty else { throw BuildError("invalid --secret '\(spec)': '\(field)' is not KEY=VALUE") }
            switch kv[0] {
            case "id": id = kv[1]
            case "src", "source": src = kv[1]
            case "env": env = kv[1]
            case "type":
                guard kv[1] == "file" || kv[1] == "env" else { throw BuildError("invalid --secret '\(spec)': type is file or env") }
                type = kv[1]
            default: throw BuildError("invalid --secret '\(spec)': unknown key '\(kv[0])' (id, src, env, type)")
            }
        }
        guard let id else { throw BuildError("invalid --secret '\(spec)': id= is required") }
        if type == "env" || env != nil {
            secrets[id] = .environment(env ?? src ?? id)
        } else if let src {
            secrets[id] = .file(src)
        } else {
            secrets[id] = environment[id] != nil && type != "file" ? .environment(id) : .file(id)
        }
    }

    /// `--ssh ID[=SOCKET]`: `default` alone uses $SSH_AUTH_SOCK.
    public mutating func addAgent(_ spec: String, environment: [String: String]) throws {
        let kv = spec.split(separator: "=", maxSplits: 1).map(String.init)
        guard let id = kv.first, !id.isEmpty else { throw BuildError("invalid --ssh '\(spec)': ID[=SOCKET] expected") }
        if kv.count == 2 {
            agents[id] = kv[1]
        } else if let socket = environment["SSH_AUTH_SOCK"], !socket.isEmpty {
            agents[id] = socket
        } else {
            throw BuildError("invalid --ssh '\(spec)': SSH_AUTH_SOCK is not set; give the agent's socket as \(id)=PATH")
        }
    }

    /// The secret's bytes, or nil when the build was given no such id.
    func value(of id: String, environment: [String: String]) throws -> Data? {
        switch secrets[id] {
        case nil: return nil
        case .environment(let name)?:
            guard let v = environment[name] else { throw BuildError("secret \(id): environment variable \(name) is not set") }
            return Data(v.utf8)
        case .file(let path)?:
            guard let data = FileManager.default.contents(atPath: path) else {
                throw BuildError("secret \(id): cannot read \(path)")
            }
            return data
        }
    }
}
