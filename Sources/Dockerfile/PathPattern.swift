/// One `.dockerignore` pattern, matched as moby/patternmatcher does: `*`
/// and `?` stop at `/`, `**` crosses directories (`**/` also matches
/// nothing), `[...]` classes and `\` escapes follow Go's filepath.Match syntax.
public struct PathPattern: Equatable, Sendable {
    /// The cleaned pattern, without its `!`.
    public let pattern: String
    /// A `!pattern`: re-includes what earlier patterns excluded.
    public let exclusion: Bool
    let kind: Kind
    let tokens: [Token]

    enum Kind: Equatable, Sendable { case exact, prefix, suffix, glob }
    enum Token: Equatable, Sendable {
        case literal(Unicode.Scalar)
        case oneNonSlash          // ?
        case runNonSlash          // *
        case anything             // ** at the end
        case optionalDirectories  // **/ or ** inside
        case characterClass(negated: Bool, ranges: [ClosedRange<UInt32>])
    }

    public init(_ pattern: String, exclusion: Bool = false) throws {
        self.pattern = pattern
        self.exclusion = exclusion
        try Self.checkSyntax(pattern)
        var kind = Kind.exact
        var tokens: [Token] = []
        let s = Array(pattern.unicodeScalars)
        var i = 0, iteration = 0
        while i < s.count {
            defer { iteration += 1 }
            let ch = s[i]; i += 1
            switch ch {
            case "*":
                guard i < s.count, s[i] == "*" else { tokens.append(.runNonSlash); kind = .glob; continue }
                i += 1
                if i < s.count, s[i] == "/" { i += 1 }
                if i == s.count {
                    if kind == .exact { kind = .prefix } else { tokens.append(.anything); kind = .glob }
                } else {
                    tokens.append(.optionalDirectories); kind = .glob
                }
                if iteration == 0 { kind = .suffix }
            case "?":
                tokens.append(.oneNonSlash); kind = .glob
            case "\\":
                if i < s.count { tokens.append(.literal(s[i])); i += 1; kind = .glob } else { tokens.append(.literal("\\")) }
            case "[":
                let (token, next) = Self.parseClass(s, from: i)
                tokens.append(token); i = next; kind = .glob
            default:
                tokens.append(.literal(ch))
            }
        }
        self.kind = kind
        self.tokens = tokens
    }

    /// Whether `path` (cleaned, relative, `/`-separated) matches the whole pattern.
    public func matches(_ path: String) -> Bool {
        switch kind {
        case .exact: return path == pattern
        case .prefix: return path.hasPrefix(String(pattern.dropLast(2)))
        case .suffix:
            let suffix = String(pattern.dropFirst(2))
            if path.hasSuffix(suffix) { return true }
            return suffix.hasPrefix("/") && path == suffix.dropFirst()
        case .glob: return globMatches(Array(path.unicodeScalars))
        }
    }

    /// Positions reachable after each token: no backtracking blow-up on `*a*a*a*b`.
    func globMatches(_ text: [Unicode.Scalar]) -> Bool {
        let n = text.count
        var reach = [Bool](repeating: false, count: n + 1)
        reach[0] = true
        for token in tokens {
            var next = [Bool](repeating: false, count: n + 1)
            var any = false
            switch token {
            case .runNonSlash:
                var open = false
                for p in 0...n {
                    if reach[p] { open = true }
                    if open { next[p] = true; any = true }
                    if p < n && text[p] == "/" { open = false }
                }
            case .anything:
                var open = false
                for p in 0...n { if reach[p] { open = true }; if open { next[p] = true; any = true } }
            case .optionalDirectories:
                var seen = false
                for p in 0...n {
                    if reach[p] { next[p] = true; any = true }
                    if seen && p > 0 && text[p - 1] == "/" { next[p] = true; any = true }
                    if reach[p] { seen = true }
                }
            default:
                for p in 0..<n where reach[p] && Self.single(token, matches: text[p]) {
                    next[p + 1] = true; any = true
                }
            }
            guard any else { return false }
            reach = next
        }
        return reach[n]
    }

    static func single(_ token: Token, matches ch: Unicode.Scalar) -> Bool {
        switch token {
        case .literal(let c): return c == ch
        case .oneNonSlash: return ch != "/"
        case .characterClass(let negated, let ranges):
            return ranges.contains { $0.contains(ch.value) } != negated
        default: return false
        }
    }

    /// A class after its `[` (syntax already checked): `[^a-z\]]`.
    static func parseClass(_ s: [Unicode.Scalar], from start: Int) -> (Token, Int) {
        var i = start
        var negated = false
        if i < s.count, s[i] == "^" { negated = true; i += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        func escaped() -> Unicode.Scalar {
            if s[i] == "\\" { i += 1 }
            defer { i += 1 }
            return s[i]
        }
        while i < s.count {
            if s[i] == "]" && (!ranges.isEmpty) { i += 1; break }
            let lo = escaped()
            var hi = lo
            if i < s.count, s[i] == "-" { i += 1; hi = escaped() }
            ranges.append(lo.value...max(lo.value, hi.value))
        }
        return (.characterClass(negated: negated, ranges: ranges), i)
    }

    /// Go's filepath.Match errors: unterminated or empty class, a class
    /// starting with `-` or `]`, a trailing `\`.
    static func checkSyntax(_ pattern: String) throws {
        let bad = DockerIgnoreError(message: "syntax error in pattern \(pattern)")
        let s = Array(pattern.unicodeScalars)
        var i = 0
        func escapedChar() throws {
            guard i < s.count, s[i] != "-", s[i] != "]" else { throw bad }
            if s[i] == "\\" { i += 1; guard i < s.count else { throw bad } }
            i += 1
        }
        while i < s.count {
            switch s[i] {
            case "\\":
                i += 1
                guard i < s.count else { throw bad }
                i += 1
            case "[":
                i += 1
                if i < s.count, s[i] == "^" { i += 1 }
                var items = 0
                while true {
                    guard i < s.count else { throw bad }
                    if s[i] == "]" && items > 0 { i += 1; break }
                    try escapedChar()
                    if i < s.count, s[i] == "-" { i += 1; try escapedChar() }
                    items += 1
                }
            default: i += 1
            }
        }
    }
}
