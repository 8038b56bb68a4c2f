import Foundation

/// How Docker's parser splits the text after an instruction's name, per
/// instruction (buildkit frontend/dockerfile/parser/line_parsers.go). Quotes
/// are kept here; expansion removes them later, in the instructions that expand.
enum ArgumentSplitter {
    struct Split {
        var arguments: [String] = []
        var isJSON = false
    }

    /// The name, the `--flags` and the rest of a logical line.
    static func splitCommand(_ line: String) -> (name: String, flags: [String], rest: String) {
        let trimmed = trimSpace(Substring(line))
        guard let end = trimmed.unicodeScalars.firstIndex(where: isTokenSpace) else {
            return (String(trimmed), [], "")
        }
        let name = String(trimmed.unicodeScalars[..<end])
        let afterName = trimmed.unicodeScalars[end...].drop(while: isTokenSpace)
        let (rest, flags) = extractFlags(Array(afterName))
        return (name, flags, String(trimSpace(Substring(rest))))
    }

    /// Leading `--name[=value]` words; quotes and `\` inside them are removed.
    /// A lone `--` ends the flags.
    static func extractFlags(_ line: [Unicode.Scalar]) -> (rest: String, flags: [String]) {
        var flags: [String] = []
        var pos = 0
        while true {
            while pos < line.count, isShellSpace(line[pos]) { pos += 1 }
            guard pos + 1 < line.count, line[pos] == "-", line[pos + 1] == "-" else {
                return (String(String.UnicodeScalarView(line[pos...])), flags)
            }
            var word = String.UnicodeScalarView()
            var quote: Unicode.Scalar?
            var quoted = false
            while pos < line.count {
                let ch = line[pos]
                if let q = quote {
                    pos += 1
                    if ch == q { quote = nil; continue }
                    if ch == "\\" {
                        guard pos < line.count else { quote = nil; continue }
                        word.append(line[pos]); pos += 1
                        continue
                    }
                    word.append(ch)
                    continue
                }
                if isShellSpace(ch) { break }
                pos += 1
                if ch == "'" || ch == "\"" { quote = ch; quoted = true; continue }
                if ch == "\\" {
                    guard pos < line.count else { continue }
                    word.append(line[pos]); pos += 1
                    continue
                }
                word.append(ch)
            }
            if String(word) == "--" {
                return (String(String.UnicodeScalarView(line[pos...])), flags)
            }
            if quoted || !word.isEmpty { flags.append(String(word)) }
            if pos >= line.count { return ("", flags) }
        }
    }

    /// Dispatches on the instruction name; unknown names keep no arguments
    /// (the typing step reports them).
    static func split(instruction: String, rest: String, escape: Unicode.Scalar) throws -> Split {
        switch instruction.lowercased() {
        case "add", "copy", "volume": return try maybeJSONToList(rest)
        case "run", "cmd", "entrypoint", "shell": return try maybeJSON(rest)
        case "arg": return Split(arguments: words(rest, escape: escape))
        case "env": return Split(arguments: try nameValues(rest, instruction: "ENV", escape: escape))
        case "label": return Split(arguments: try nameValues(rest, instruction: "LABEL", escape: escape))
        case "expose", "from": return Split(arguments: whitespaceDelimited(rest))
        case "maintainer", "stopsignal", "user", "workdir":
            return Split(arguments: rest.isEmpty ? [] : [rest])
        case "healthcheck": return try healthcheck(rest)
        default: return Split()
        }
    }

    /// Words separated by white space, quotes and escapes kept as written.
    static func words(_ rest: String, escape: Unicode.Scalar) -> [String] {
        let s = Array(rest.unicodeScalars)
        var words: [String] = []
        var word = String.UnicodeScalarView()
        var quote: Unicode.Scalar?
        var blankOK = false
        var inWord = false
        var pos = 0
        func flush() {
            if blankOK || !word.isEmpty { words.append(String(word)) }
            word = String.UnicodeScalarView(); blankOK = false; inWord = false
        }
        while pos < s.count {
            var ch = s[pos]
            if let q = quote {
                if ch == q { quote = nil }
                // An escape works in double quotes, not in single ones.
                if ch == escape && q != "'" {
                    if pos + 1 == s.count { quote = nil; pos += 1; continue }
                    word.append(ch); pos += 1; ch = s[pos]
                }
                word.append(ch); pos += 1
                continue
            }
            if !inWord {
                if isShellSpace(ch) { pos += 1; continue }
                inWord = true
            }
            if isShellSpace(ch) { flush(); pos += 1; continue }
            if ch == "'" || ch == "\"" { quote = ch; blankOK = true }
            if ch == escape {
                if pos + 1 == s.count { pos += 1; continue }
                word.append(ch); pos += 1; ch = s[pos]
            }
            word.append(ch); pos += 1
        }
        if inWord || quote != nil { flush() }
        return words
    }

    /// `ENV a=1 b="2 3"` gives [a, 1, b, "2 3"]; the old `ENV a 1 2` gives [a, 1 2].
    static func nameValues(_ rest: String, instruction: String, escape: Unicode.Scalar) throws -> [String] {
        let list = words(rest, escape: escape)
        guard let first = list.first else { return [] }
        if !first.contains("=") {
            let scalars = rest.unicodeScalars
            guard let gap = scalars.firstIndex(where: isTokenSpace) else {
                throw InstructionError("\(instruction) must have two arguments")
            }
            let value = scalars[gap...].drop(while: isTokenSpace)
            return [String(scalars[..<gap]), String(value)]
        }
        var result: [String] = []
        for word in list {
            guard let eq = word.firstIndex(of: "=") else {
                throw InstructionError("Syntax error - can't find = in \"\(word)\". Must be of the form: name=value")
            }
            result.append(String(word[..<eq]))
            result.append(String(word[word.index(after: eq)...]))
        }
        return result
    }

    static func whitespaceDelimited(_ rest: String) -> [String] {
        guard !rest.isEmpty else { return [] }
        return rest.unicodeScalars.split(whereSeparator: isTokenSpace).map { String($0) }
    }

    enum JSONResult { case array([String]), notJSON, notStrings }

    /// Whether the text starts with a JSON array of strings. Like Go's
    /// json.Decoder, text after the array is ignored.
    static func jsonArray(_ rest: String) -> JSONResult {
        let scalars = Array(rest.unicodeScalars.drop(while: isShellSpace))
        guard scalars.first == "[" else { return .notJSON }
        var depth = 0, end = -1, inString = false, escaped = false
        for (i, ch) in scalars.enumerated() {
            if inString {
                if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == "\"" { inString = false }
                continue
            }
            switch ch {
            case "\"": inString = true
            case "[", "{": depth += 1
            case "]", "}":
                depth -= 1
                if depth == 0 { end = i }
            default: break
            }
            if end >= 0 { break }
        }
        guard end >= 0 else { return .notJSON }
        let text = String(String.UnicodeScalarView(scalars[...end]))
        guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: []),
              let array = value as? [Any] else { return .notJSON }
        var strings: [String] = []
        for element in array {
            guard let s = element as? String, !(element is NSNumber) else { return .notStrings }
            strings.append(s)
        }
        return .array(strings)
    }

    static let notStringsMessage = "when using JSON array syntax, arrays must be comprised of strings only"

    static func maybeJSON(_ rest: String) throws -> Split {
        guard !rest.isEmpty else { return Split() }
        switch jsonArray(rest) {
        case .array(let a): return Split(arguments: a, isJSON: true)
        case .notStrings: throw InstructionError(notStringsMessage)
        case .notJSON: return Split(arguments: [rest])
        }
    }

    static func maybeJSONToList(_ rest: String) throws -> Split {
        switch jsonArray(rest) {
        case .array(let a): return Split(arguments: a, isJSON: true)
        case .notStrings: throw InstructionError(notStringsMessage)
        case .notJSON: return Split(arguments: whitespaceDelimited(rest))
        }
    }

    /// `HEALTHCHECK CMD ...`: the type word, then the command as RUN splits it.
    static func healthcheck(_ rest: String) throws -> Split {
        let scalars = rest.unicodeScalars
        let sep = scalars.firstIndex(where: isShellSpace) ?? scalars.endIndex
        guard sep != scalars.startIndex else { return Split() }
        let kind = String(scalars[..<sep])
        let command = try maybeJSON(String(scalars[sep...].drop(while: isShellSpace)))
        return Split(arguments: [kind] + command.arguments, isJSON: command.isJSON)
    }

    /// Go's regexp `[\t\v\f\r ]`.
    static func isTokenSpace(_ ch: Unicode.Scalar) -> Bool {
        ch == " " || ch == "\t" || ch == "\u{0B}" || ch == "\u{0C}" || ch == "\r"
    }

    static func trimSpace(_ s: Substring) -> Substring {
        let scalars = s.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isShellSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isShellSpace($0) })!
        return Substring(scalars[first...last])
    }
}
