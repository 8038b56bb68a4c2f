/// One `RUN --mount=type=...,target=...` (buildkit commands_runmount.go).
public struct RunMount: Equatable, Sendable {
    public enum Kind: String, Sendable, CaseIterable { case bind, cache, tmpfs, secret, ssh }
    public enum Sharing: String, Sendable { case shared, `private`, locked }

    public var type: Kind = .bind
    /// A stage name or image to bind or seed the cache from.
    public var from: String?
    public var source: String?
    public var target: String?
    public var readOnly = true
    /// A cache's id (defaults to the target), or a secret's id.
    public var id: String?
    public var sharing: Sharing?
    public var required = false
    public var mode: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?
    /// tmpfs size in bytes.
    public var size: UInt64?
    /// A secret exposed as an environment variable.
    public var env: String?

    public init() {}

    static let keys = ["type", "from", "source", "src", "target", "dst", "destination", "readonly", "ro",
                       "readwrite", "rw", "id", "sharing", "required", "mode", "uid", "gid", "size", "env"]

    /// Parses the CSV spec. `expand` substitutes variables in each value; with
    /// nil (while parsing, before the build args are known) values holding `$`
    /// are left for later and not checked.
    public static func parse(_ spec: String, expand: ((String) throws -> String)?) throws -> RunMount {
        var m = RunMount()
        var readOnlyGiven = false
        for field in try csvFields(spec) {
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = parts[0].lowercased()
            if parts.count == 1 {
                switch key {
                case "readonly", "ro": m.readOnly = true; readOnlyGiven = true; continue
                case "readwrite", "rw": m.readOnly = false; readOnlyGiven = true; continue
                case "required":
                    guard m.type == .secret || m.type == .ssh else {
                        throw InstructionError("unexpected key 'required' for mount type '\(m.type.rawValue)'")
                    }
                    m.required = true; continue
                default: throw InstructionError("invalid field '\(field)' must be a key=value pair")
                }
            }
            var value = String(parts[1])
            if let expand {
                value = try expand(value)
            } else if value.contains("$") {
                if key == "from" { throw InstructionError("'from' doesn't support variable expansion, define alias stage instead") }
                continue
            }
            func bool() throws -> Bool {
                switch value.lowercased() {
                case "1", "t", "true": return true
                case "0", "f", "false": return false
                default: throw InstructionError("invalid value for \(key): \(value)")
                }
            }
            func number(_ radix: Int) throws -> UInt32 {
                guard let n = UInt32(value, radix: radix) else { throw InstructionError("invalid value \(value) for \(key)") }
                return n
            }
            switch key {
            case "type":
                guard let t = Kind(rawValue: value.lowercased()) else {
                    var message = "unsupported mount type \"\(value)\""
                    if let close = Suggestion.closest(to: value, in: Kind.allCases.map(\.rawValue)) { message += " (did you mean \(close)?)" }
                    throw InstructionError(message)
                }
                m.type = t
            case "from": m.from = value
            case "source", "src": m.source = value
            case "target", "dst", "destination": m.target = value
            case "readonly", "ro": m.readOnly = try bool(); readOnlyGiven = true
            case "readwrite", "rw": m.readOnly = !(try bool()); readOnlyGiven = true
            case "required":
                guard m.type == .secret || m.type == .ssh else {
                    throw InstructionError("unexpected key 'required' for mount type '\(m.type.rawValue)'")
                }
                m.required = try bool()
            case "id": m.id = value
            case "sharing":
                guard let s = Sharing(rawValue: value.lowercased()) else { throw InstructionError("unsupported sharing value \"\(value)\"") }
                m.sharing = s
            case "mode": m.mode = try number(8)
            case "uid": m.uid = try number(10)
            case "gid": m.gid = try number(10)
            case "size":
                guard let bytes = parseSize(value) else { throw InstructionError("invalid value \(value) for size") }
                m.size = bytes
            case "env": m.env = value
            default:
                var message = "unexpected key '\(key)' in '\(field)'"
                if let close = Suggestion.closest(to: key, in: keys) { message += " (did you mean \(close)?)" }
                throw InstructionError(message)
            }
        }
        let fileInfoAllowed = m.type == .secret || m.type == .ssh || m.type == .cache
        if m.mode != nil && !fileInfoAllowed { throw InstructionError("mode not allowed for \"\(m.type.rawValue)\" type mounts") }
        if m.uid != nil && !fileInfoAllowed { throw InstructionError("uid not allowed for \"\(m.type.rawValue)\" type mounts") }
        if m.gid != nil && !fileInfoAllowed { throw InstructionError("gid not allowed for \"\(m.type.rawValue)\" type mounts") }
        if !readOnlyGiven { m.readOnly = !(m.type == .cache || m.type == .tmpfs) }
        if m.sharing != nil && m.type != .cache { throw InstructionError("invalid cache sharing set for \(m.type.rawValue) mount") }
        if m.type == .secret {
            if m.from != nil { throw InstructionError("secret mount should not have a from") }
            if m.source != nil && m.id != nil { throw InstructionError("both source and id can't be set") }
        }
        if (m.type == .bind || m.type == .cache || m.type == .tmpfs) && m.target == nil && expand != nil {
            throw InstructionError("mount of type \(m.type.rawValue) needs a target")
        }
        return m
    }

    /// One CSV record as Go's encoding/csv reads it: commas separate, a
    /// field starting with `"` is quoted and `""` inside it is one quote.
    static func csvFields(_ spec: String) throws -> [String] {
        var fields: [String] = []
        var s = Array(spec.unicodeScalars)[...]
        while true {
            var field = String.UnicodeScalarView()
            if s.first == "\"" {
                s = s.dropFirst()
                var closed = false
                while let ch = s.first {
                    s = s.dropFirst()
                    if ch == "\"" {
                        if s.first == "\"" { field.append("\""); s = s.dropFirst(); continue }
                        closed = true
                        break
                    }
                    field.append(ch)
                }
                guard closed, s.isEmpty || s.first == "," else {
                    throw InstructionError("failed to parse csv mounts: bad quotes in \(spec)")
                }
            } else {
                while let ch = s.first, ch != "," {
                    if ch == "\"" { throw InstructionError("failed to parse csv mounts: bare \" in non-quoted field in \(spec)") }
                    field.append(ch); s = s.dropFirst()
                }
            }
            fields.append(String(field))
            guard s.first == "," else { break }
            s = s.dropFirst()
        }
        return fields
    }

    /// "64m", "1g", "1024" (docker's units.RAMInBytes, binary multiples).
    static func parseSize(_ text: String) -> UInt64? {
        let lower = text.lowercased()
        let digits = lower.prefix(while: { $0.isNumber || $0 == "." })
        guard let n = Double(digits) else { return nil }
        var unit = lower.dropFirst(digits.count)
        if unit.hasSuffix("ib") { unit = unit.dropLast(2) } else if unit.hasSuffix("b") { unit = unit.dropLast() }
        let scale: Double
        switch unit {
        case "": scale = 1
        case "k": scale = Double(1 << 10)
        case "m": scale = Double(1 << 20)
        case "g": scale = Double(1 << 30)
        case "t": scale = Double(1 << 40)
        case "p": scale = Double(1 << 50)
        default: return nil
        }
        return UInt64(n * scale)
    }
}
