/// Variable substitution and word splitting as Docker's shell lexer does it
/// (buildkit frontend/dockerfile/shell): `$VAR`, `${VAR}`, `${VAR:-w}`,
/// `${VAR-w}`, `${VAR:+w}`, `${VAR+w}`, `${VAR:?w}`, `${VAR?w}`,
/// `${VAR#pat}`, `${VAR##pat}`, `${VAR%pat}`, `${VAR%%pat}`,
/// `${VAR/pat/repl}`, `${VAR//pat/repl}`; quotes and escapes.
///
/// It is not a shell: there is no command substitution, no arithmetic and no
/// globbing. RUN, CMD and ENTRYPOINT are never expanded here (their shell does it).
public struct ShellWordExpander: Sendable {
    /// `\` normally, `` ` `` after `# escape=``.
    public var escapeCharacter: Unicode.Scalar
    /// Keep quote characters in the result (used to find heredoc names).
    public var rawQuotes = false
    /// Keep escape characters in the result.
    public var rawEscapes = false
    /// Leave `$NAME` untouched when NAME is not set instead of making it empty.
    public var skipUnsetVariables = false
    /// Treat quotes as ordinary characters.
    public var skipQuotes = false
    /// Guards against hostile input such as 100,000 nested `${a:-${a:-...}}`.
    public var maximumNesting = 200

    public init(escapeCharacter: Unicode.Scalar = "\\") {
        self.escapeCharacter = escapeCharacter
    }

    /// The word with its variables substituted and its quotes removed.
    public func expand(_ word: String, env: [String: String]) throws -> String {
        try process(word, env: env).result
    }

    /// The word expanded, then split on unquoted white space (the splitting
    /// happens after substitution, as in Docker: a value with spaces gives
    /// several words unless it was quoted).
    public func expandWords(_ word: String, env: [String: String]) throws -> [String] {
        try process(word, env: env).words
    }

    /// Expansion with the variable names it looked up, set or not (the
    /// builder uses them for its cache keys and the linter for undefined names).
    public func expandTracking(_ word: String, env: [String: String]) throws -> ExpansionResult {
        try process(word, env: env)
    }

    func process(_ word: String, env: [String: String]) throws -> ExpansionResult {
        var lexer = ShellLexer(source: Array(word.unicodeScalars), options: self, env: env)
        do {
            let (result, words) = try lexer.processUntil(nil, rawEscapes: rawEscapes, depth: 0)
            return ExpansionResult(result: result, words: words, used: lexer.used, unset: lexer.unset)
        } catch let error as ExpansionError {
            throw ExpansionError(message: "failed to process \"\(word)\": \(error.message)")
        }
    }
}

/// What an expansion produced and which variables it read.
public struct ExpansionResult: Equatable, Sendable {
    public var result: String
    public var words: [String]
    /// Variables that were referenced and set.
    public var used: Set<String>
    /// Variables that were referenced but not set.
    public var unset: Set<String>
}

/// A substitution that cannot be done, with the message Docker gives.
public struct ExpansionError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    public var description: String { message }
}

/// Collects characters into words the way Docker splits them: white space
/// produced by a variable splits, quoted or escaped white space does not.
private struct WordCollector {
    var current = String.UnicodeScalarView()
    var words: [String] = []
    var inWord = false

    mutating func add(_ ch: Unicode.Scalar) {
        if isShellSpace(ch) {
            if inWord && !current.isEmpty {
                words.append(String(current))
                current = String.UnicodeScalarView()
                inWord = false
            }
        } else {
            addRaw(ch)
        }
    }
    mutating func addRaw(_ ch: Unicode.Scalar) { current.append(ch); inWord = true }
    mutating func add(_ s: String) { for ch in s.unicodeScalars { add(ch) } }
    mutating func addRaw(_ s: String) { current.append(contentsOf: s.unicodeScalars); inWord = true }
    mutating func finish() -> [String] {
        if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
        return words
    }
}

/// Go's unicode.IsSpace.
func isShellSpace(_ ch: Unicode.Scalar) -> Bool {
    switch ch.value {
    case 0x09...0x0D, 0x20, 0x85, 0xA0: return true
    case 0..<0x100: return false
    default: return ch.properties.isWhitespace
    }
}

private struct ShellLexer {
    let source: [Unicode.Scalar]
    let options: ShellWordExpander
    let env: [String: String]
    var position = 0
    var used = Set<String>()
    var unset = Set<String>()

    init(source: [Unicode.Scalar], options: ShellWordExpander, env: [String: String]) {
        self.source = source
        self.options = options
        self.env = env
    }

    func peek() -> Unicode.Scalar? { position < source.count ? source[position] : nil }
    mutating func next() -> Unicode.Scalar? {
        guard position < source.count else { return nil }
        defer { position += 1 }
        return source[position]
    }

    mutating func lookup(_ name: String) -> String? {
        if let value = env[name] { used.insert(name); return value }
        unset.insert(name)
        return nil
    }

    /// Reads until `stop` (consumed) or the end of input.
    mutating func processUntil(_ stop: Unicode.Scalar?, rawEscapes: Bool, depth: Int) throws -> (String, [String]) {
        if depth > options.maximumNesting {
            throw ExpansionError(message: "variable substitution nested more than \(options.maximumNesting) levels deep")
        }
        var result = String.UnicodeScalarView()
        var words = WordCollector()
        while let ch = peek() {
            if let stop, ch == stop {
                position += 1
                return (String(result), words.finish())
            }
            if ch == "$" {
                let value = try processDollar(depth: depth)
                result.append(contentsOf: value.unicodeScalars)
                words.add(value)
            } else if ch == "'" && !options.skipQuotes {
                let value = try processSingleQuote()
                result.append(contentsOf: value.unicodeScalars)
                words.addRaw(value)
            } else if ch == "\"" && !options.skipQuotes {
                let value = try processDoubleQuote(rawEscapes: rawEscapes, depth: depth)
                result.append(contentsOf: value.unicodeScalars)
                words.addRaw(value)
            } else {
                position += 1
                if ch == options.escapeCharacter {
                    if rawEscapes { words.addRaw(ch); result.append(ch) }
                    // An escape at the very end is dropped.
                    guard let escaped = next() else { break }
                    words.addRaw(escaped)
                    result.append(escaped)
                } else {
                    words.add(ch)
                    result.append(ch)
                }
            }
        }
        if let stop {
            throw ExpansionError(message: "unexpected end of statement while looking for matching \(Character(stop))")
        }
        return (String(result), words.finish())
    }

    mutating func processSingleQuote() throws -> String {
        var result = String.UnicodeScalarView()
        let open = next()!
        if options.rawQuotes { result.append(open) }
        while true {
            guard let ch = next() else {
                throw ExpansionError(message: "unexpected end of statement while looking for matching single-quote")
            }
            if ch == "'" {
                if options.rawQuotes { result.append(ch) }
                return String(result)
            }
            result.append(ch)
        }
    }

    mutating func processDoubleQuote(rawEscapes: Bool, depth: Int) throws -> String {
        var result = String.UnicodeScalarView()
        let open = next()!
        if options.rawQuotes { result.append(open) }
        while true {
            guard let ch = peek() else {
                throw ExpansionError(message: "unexpected end of statement while looking for matching double-quote")
            }
            if ch == "\"" {
                position += 1
                if options.rawQuotes { result.append(ch) }
                return String(result)
            }
            if ch == "$" {
                result.append(contentsOf: try processDollar(depth: depth).unicodeScalars)
                continue
            }
            position += 1
            var out = ch
            if ch == options.escapeCharacter {
                if rawEscapes { result.append(ch) }
                guard let following = peek() else { continue }
                // Inside double quotes only ", $ and the escape itself are escapable.
                if following == "\"" || following == "$" || following == options.escapeCharacter {
                    out = following
                    position += 1
                }
            }
            result.append(out)
        }
    }

    mutating func processDollar(depth: Int) throws -> String {
        position += 1 // the $
        guard peek() == "{" else {
            let name = processName()
            if name.isEmpty { return "$" }
            guard let value = lookup(name) else { return options.skipUnsetVariables ? "$" + name : "" }
            return value
        }
        position += 1 // the {
        switch peek() {
        case nil: throw ExpansionError(message: "syntax error: missing '}'")
        case "{", "}", ":": throw ExpansionError(message: "syntax error: bad substitution")
        default: break
        }
        let name = processName()
        guard var op = next() else { throw ExpansionError(message: "syntax error: missing '}'") }
        var opText = String(Character(op))
        switch op {
        case "}":
            guard let value = lookup(name) else { return options.skipUnsetVariables ? "${\(name)}" : "" }
            return value
        case ":", "+", "-", "?", "#", "%":
            let nullIsUnset = op == ":"
            if nullIsUnset {
                guard let modifier = next() else { throw ExpansionError(message: "syntax error: missing '}'") }
                op = modifier
                opText.unicodeScalars.append(modifier)
                guard "+-?".unicodeScalars.contains(op) else {
                    throw ExpansionError(message: "unsupported modifier (\(opText)) in substitution")
                }
            }
            let patternOperator = op == "#" || op == "%"
            let word: String
            do {
                (word, _) = try processUntil("}", rawEscapes: patternOperator, depth: depth + 1)
            } catch let error as ExpansionError {
                if peek() == nil && !error.message.hasPrefix("variable substitution nested") {
                    throw ExpansionError(message: "syntax error: missing '}'")
                }
                throw error
            }
            let value = lookup(name)
            if options.skipUnsetVariables && value == nil { return "${\(name)\(opText)\(word)}" }
            let isUnset = value == nil || (nullIsUnset && value == "")
            switch op {
            case "-": return isUnset ? word : value!
            case "+": return isUnset ? "" : word
            case "?":
                if value == nil { throw ExpansionError(message: "\(name): \(word.isEmpty ? "is not allowed to be unset" : word)") }
                if isUnset { throw ExpansionError(message: "\(name): \(word.isEmpty ? "is not allowed to be empty" : word)") }
                return value!
            default:
                var pattern = Substring(word)
                var longest = false
                if pattern.unicodeScalars.first == op {
                    longest = true
                    pattern = Substring(pattern.unicodeScalars.dropFirst())
                }
                let glob = try ShellPattern(String(pattern))
                return op == "#" ? glob.removingPrefix(of: value ?? "", longest: longest)
                                 : glob.removingSuffix(of: value ?? "", longest: longest)
            }
        case "/":
            let replaceAll = peek() == "/"
            if replaceAll { position += 1 }
            let pattern: String, replacement: String
            do {
                (pattern, _) = try processUntil("/", rawEscapes: true, depth: depth + 1)
            } catch let error as ExpansionError {
                if peek() == nil { throw ExpansionError(message: "syntax error: missing '/' in ${}") }
                throw error
            }
            do {
                (replacement, _) = try processUntil("}", rawEscapes: true, depth: depth + 1)
            } catch let error as ExpansionError {
                if peek() == nil { throw ExpansionError(message: "syntax error: missing '}'") }
                throw error
            }
            let value = lookup(name)
            if options.skipUnsetVariables && value == nil {
                return "${\(name)/\(pattern)/\(replacement)}"
            }
            let glob = try ShellPattern(pattern)
            return glob.replacing(in: value ?? "", with: replacement, all: replaceAll)
        default:
            throw ExpansionError(message: "unsupported modifier (\(opText)) in substitution")
        }
    }

    /// A variable name: letters, digits and `_`; or all digits; or one special parameter.
    mutating func processName() -> String {
        var name = String.UnicodeScalarView()
        while let ch = peek() {
            let category = ch.properties.generalCategory
            if name.isEmpty && category == .decimalNumber {
                while let d = peek(), d.properties.generalCategory == .decimalNumber {
                    name.append(d); position += 1
                }
                return String(name)
            }
            if name.isEmpty && "@*#?-$!0".unicodeScalars.contains(ch) {
                position += 1
                return String(Character(ch))
            }
            let isLetter = [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter].contains(category)
            guard isLetter || category == .decimalNumber || ch == "_" else { break }
            name.append(ch)
            position += 1
        }
        return String(name)
    }
}
