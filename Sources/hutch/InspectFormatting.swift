import Foundation

/// A JSON value `inspect` prints: images (Codable records) and containers
/// (ContainerInspection's dictionaries) alike, so both come out in one
/// array, indented as Docker indents, and `-f` reads either the same way.
enum JSONValue: Codable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// From JSONSerialization-style values (String, Bool, integers, Double,
    /// arrays, string-keyed dictionaries); anything else is null.
    init(any value: Any?) {
        switch value {
        case nil: self = .null
        case let v as String: self = .string(v)
        case let v as Bool: self = .bool(v)
        case let v as Int: self = .int(Int64(v))
        case let v as Int32: self = .int(Int64(v))
        case let v as Int64: self = .int(v)
        case let v as UInt64: self = .int(Int64(clamping: v))
        case let v as Double: self = .double(v)
        case let v as [String: Any]: self = .object(v.mapValues { JSONValue(any: $0) })
        case let v as [Any]: self = .array(v.map { JSONValue(any: $0) })
        default: self = .null
        }
    }

    /// Any Encodable, through its JSON.
    init<T: Encodable>(encoding value: T) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(value))
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int64.self) { self = .int(v) }
        else if let v = try? c.decode(Double.self) { self = .double(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([JSONValue].self) { self = .array(v) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let v): try c.encode(v)
        case .int(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .array(let v): try c.encode(v)
        case .object(let v): try c.encode(v)
        }
    }

    /// `.State.Status`: the value at a dotted path, nil when there is none.
    func value(at path: String) -> JSONValue? {
        var current: JSONValue? = self
        for key in path.split(separator: ".") {
            guard case .object(let fields)? = current else { return nil }
            current = fields[String(key)]
        }
        return current
    }

    /// Compact JSON, keys sorted (`{{json .State}}`, and any non-scalar).
    var compactJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}

enum InspectFormatting {
    /// The JSON array Docker prints: keys sorted, four-space indents, `"key": value`.
    static func json(_ items: [JSONValue]) throws -> String {
        guard !items.isEmpty else { return "[]\n" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return reindent(String(decoding: try encoder.encode(items), as: UTF8.self)) + "\n"
    }

    /// Docker indents with four spaces, JSONEncoder with two; Foundation
    /// writes `"key" : value` and an empty array or object over three lines,
    /// Go `"key": value` and `[]`.
    static func reindent(_ text: String) -> String {
        var lines: [String] = []
        for line in text.components(separatedBy: "\n") {
            let spaces = line.prefix { $0 == " " }.count
            var rest = String(line.dropFirst(spaces))
            if rest.hasPrefix("\""), let r = rest.range(of: "\" : ") { rest.replaceSubrange(r, with: "\": ") }
            if lines.count >= 2, lines[lines.count - 1].allSatisfy({ $0 == " " }),
               let open = lines[lines.count - 2].last, let close = rest.first,
               (open == "[" && close == "]") || (open == "{" && close == "}") {
                lines.removeLast()
                lines[lines.count - 1] += rest
                continue
            }
            lines.append(String(repeating: " ", count: spaces * 2) + rest)
        }
        return lines.joined(separator: "\n")
    }

    /// `-f`: `{{.Id}}`, `{{.State.Status}}`, `{{json .Config}}` filled in
    /// from `item`; `\t` and `\n` as in Docker's table formats. A path that
    /// is not there prints `<no value>`, as Go's templates do.
    static func render(_ format: String, _ item: JSONValue) -> String {
        let template = format.replacingOccurrences(of: "\\t", with: "\t").replacingOccurrences(of: "\\n", with: "\n")
        var result = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else { result += rest[open.lowerBound...]; rest = ""; break }
            var action = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            let asJSON = action.hasPrefix("json ")
            if asJSON { action = String(action.dropFirst(5)).trimmingCharacters(in: .whitespaces) }
            let value = action == "." ? item : item.value(at: String(action.drop { $0 == "." }))
            switch value {
            case nil: result += "<no value>"
            case let v? where asJSON: result += v.compactJSON
            case .string(let s)?: result += s
            case .bool(let b)?: result += b ? "true" : "false"
            case .int(let n)?: result += String(n)
            case .null?: result += "<nil>"
            case let v?: result += v.compactJSON
            }
            rest = rest[close.upperBound...]
        }
        return result + rest
    }
}
