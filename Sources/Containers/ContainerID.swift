/// Container IDs: 64 lowercase hex digits, shown as their first 12.
public enum ContainerID {
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        var out = ""
        out.reserveCapacity(64)
        for _ in 0..<32 {
            let byte = UInt8.random(in: 0...255, using: &generator)
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        // Docker avoids IDs that are all digits, which would read as numbers.
        if out.allSatisfy({ $0.isNumber }) { return generate() }
        return out
    }

    public static func short(_ id: String) -> String { String(id.prefix(12)) }

    public static func isValid(_ id: String) -> Bool {
        id.utf8.count == 64 && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }
}

/// Finds the one container a user means by a name, a full ID or a unique
/// ID prefix, in Docker's order: exact ID, exact name, then ID prefix.
public enum ContainerResolver {
    public struct Candidate: Equatable {
        public var id: String
        public var name: String
        public init(id: String, name: String) { self.id = id; self.name = name }
    }

    public static func resolve(_ query: String, among candidates: [Candidate]) throws -> Candidate {
        let trimmed = query.hasPrefix("/") ? String(query.dropFirst()) : query
        guard !trimmed.isEmpty else { throw ContainerError.noSuchContainer(query) }
        if let exact = candidates.first(where: { $0.id == trimmed }) { return exact }
        if let named = candidates.first(where: { $0.name == trimmed }) { return named }
        let lower = trimmed.lowercased()
        guard lower.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            throw ContainerError.noSuchContainer(query)
        }
        let matches = candidates.filter { $0.id.hasPrefix(lower) }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty { throw ContainerError.noSuchContainer(query) }
        throw ContainerError.ambiguous(query, matches.map { ContainerID.short($0.id) })
    }
}
