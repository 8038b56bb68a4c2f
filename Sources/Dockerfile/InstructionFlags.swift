/// The `--name=value` flags one instruction accepts, checked as buildkit's
/// BFlags does: unknown, repeated, missing or malformed values are errors.
struct InstructionFlags {
    enum Kind { case bool, string, strings }

    private var kinds: [String: Kind] = [:]
    private(set) var strings: [String: String] = [:]
    private(set) var lists: [String: [String]] = [:]
    private(set) var bools: [String: Bool] = [:]

    init(_ declared: [String: Kind]) { kinds = declared }

    /// Reads the flags as the parser split them (`--chown=1:1`, `--link`).
    mutating func parse(_ flags: [String]) throws {
        var seen = Set<String>()
        for flag in flags {
            guard flag.hasPrefix("--") else { throw InstructionError("Arg should start with -- : \(flag)") }
            if flag == "--" { return }
            let body = flag.dropFirst(2)
            let name: String, value: String?
            if let eq = body.firstIndex(of: "=") {
                name = String(body[..<eq]); value = String(body[body.index(after: eq)...])
            } else {
                name = String(body); value = nil
            }
            guard let kind = kinds[name] else {
                var message = "unknown flag: --\(name)"
                if let close = Suggestion.closest(to: name, in: Array(kinds.keys).sorted(), caseSensitive: true) {
                    message += " (did you mean --\(close)?)"
                }
                throw InstructionError(message)
            }
            if seen.contains(name) && kind != .strings { throw InstructionError("Duplicate flag specified: --\(name)") }
            seen.insert(name)
            switch kind {
            case .bool:
                switch value?.lowercased() {
                case nil: bools[name] = true
                case "": throw InstructionError("Missing a value on flag: --\(name)")
                case "true": bools[name] = true
                case "false": bools[name] = false
                default: throw InstructionError("Expecting boolean value for flag --\(name), not: \(value!)")
                }
            case .string:
                guard let value else { throw InstructionError("Missing a value on flag: --\(name)") }
                strings[name] = value
            case .strings:
                guard let value else { throw InstructionError("Missing a value on flag: --\(name)") }
                lists[name, default: []].append(value)
            }
        }
    }

    func string(_ name: String) -> String? { strings[name] }
    func bool(_ name: String) -> Bool { bools[name] ?? false }
    func list(_ name: String) -> [String] { lists[name] ?? [] }
}
