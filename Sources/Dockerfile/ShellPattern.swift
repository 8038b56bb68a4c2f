/// The pattern of `${VAR#pattern}`, `${VAR%pattern}` and `${VAR/pattern/...}`:
/// `*` any string, `?` any one character, `\*` `\?` `\\` literal, `\}` and
/// `\/` the plain character. Bracket expressions are not special, as in
/// buildkit (which turns the pattern into a regular expression).
struct ShellPattern {
    enum Token: Equatable { case literal(Unicode.Scalar), any, star }
    let tokens: [Token]

    init(_ pattern: String) throws {
        var tokens: [Token] = []
        let scalars = Array(pattern.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let ch = scalars[i]
            i += 1
            switch ch {
            case "*": if tokens.last != .star { tokens.append(.star) }
            case "?": tokens.append(.any)
            case "\\":
                guard i < scalars.count else { throw ExpansionError(message: "invalid pattern (\(pattern)) in substitution: trailing '\\'") }
                let next = scalars[i]
                switch next {
                case "}", "/": break // the escape only hid it from ${}; the next round adds it
                case "*", "?", "\\": tokens.append(.literal(next)); i += 1
                default: throw ExpansionError(message: "invalid pattern (\(pattern)) in substitution: invalid escape '\\\(Character(next))'")
                }
            default: tokens.append(.literal(ch))
            }
        }
        self.tokens = tokens
    }

    /// Whether the whole of `text[from..<to]` matches, by the classic
    /// linear-backtracking wildcard algorithm (no exponential blow-up).
    func matches(_ text: [Unicode.Scalar], from: Int, to: Int) -> Bool {
        var t = from, p = 0
        var starP = -1, starT = 0
        while t < to {
            if p < tokens.count {
                switch tokens[p] {
                case .star: starP = p; starT = t; p += 1; continue
                case .any: t += 1; p += 1; continue
                case .literal(let c) where c == text[t]: t += 1; p += 1; continue
                default: break
                }
            }
            guard starP >= 0 else { return false }
            p = starP + 1
            starT += 1
            t = starT
        }
        while p < tokens.count, tokens[p] == .star { p += 1 }
        return p == tokens.count
    }

    /// `${VAR#pat}` (shortest) and `${VAR##pat}` (longest).
    func removingPrefix(of value: String, longest: Bool) -> String {
        let text = Array(value.unicodeScalars)
        let lengths = longest ? Array((0...text.count).reversed()) : Array(0...text.count)
        for n in lengths where matches(text, from: 0, to: n) {
            return String(String.UnicodeScalarView(text[n...]))
        }
        return value
    }

    /// `${VAR%pat}` (shortest) and `${VAR%%pat}` (longest).
    func removingSuffix(of value: String, longest: Bool) -> String {
        let text = Array(value.unicodeScalars)
        let starts = longest ? Array(0...text.count) : Array((0...text.count).reversed())
        for s in starts where matches(text, from: s, to: text.count) {
            return String(String.UnicodeScalarView(text[..<s]))
        }
        return value
    }

    /// The leftmost match at or after `start`, longest there (a greedy regex).
    func firstMatch(in text: [Unicode.Scalar], from start: Int) -> Range<Int>? {
        guard start <= text.count else { return nil }
        for a in start...text.count {
            for b in stride(from: text.count, through: a, by: -1) where matches(text, from: a, to: b) {
                return a..<b
            }
        }
        return nil
    }

    /// `${VAR/pat/repl}` and `${VAR//pat/repl}`; empty matches next to a
    /// previous match are skipped, as Go's ReplaceAllString does.
    func replacing(in value: String, with replacement: String, all: Bool) -> String {
        let text = Array(value.unicodeScalars)
        guard all else {
            guard let m = firstMatch(in: text, from: 0) else { return value }
            return String(String.UnicodeScalarView(text[..<m.lowerBound])) + replacement
                + String(String.UnicodeScalarView(text[m.upperBound...]))
        }
        var out = String.UnicodeScalarView()
        var lastEnd = 0, search = 0
        while search <= text.count, let m = firstMatch(in: text, from: search) {
            out.append(contentsOf: text[lastEnd..<m.lowerBound])
            if m.upperBound > lastEnd || m.lowerBound == 0 {
                out.append(contentsOf: replacement.unicodeScalars)
            }
            lastEnd = m.upperBound
            search = max(search + 1, m.upperBound)
        }
        out.append(contentsOf: text[lastEnd...])
        return String(out)
    }
}
