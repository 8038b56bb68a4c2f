/// A Dockerfile split into instructions, before typing: the directives, the
/// instructions in file order, and what deserved a warning.
public struct DockerfileSyntax: Equatable, Sendable {
    public var instructions: [InstructionNode]
    /// `\` or `` ` `` (`# escape=`).
    public var escapeCharacter: Unicode.Scalar
    /// Directives given at the top (`syntax`, `escape`, `check`), lowercased names.
    public var directives: [String: String]
    public var warnings: [DockerfileWarning]
}

/// Something legal that Docker would warn about.
public struct DockerfileWarning: CustomStringConvertible, Equatable, Sendable {
    public var file: String
    public var line: Int
    /// Docker's build-check name (`MaintainerDeprecated`, ...).
    public var rule: String
    public var message: String

    public init(file: String, line: Int, rule: String, message: String) {
        self.file = file
        self.line = line
        self.rule = rule
        self.message = message
    }

    public var description: String {
        line > 0 ? "\(file):\(line): warning: \(rule): \(message)" : "\(file): warning: \(rule): \(message)"
    }
}

/// Splits Dockerfile text into instructions as buildkit's parser does:
/// directives at the very top, comments, line continuations (also across
/// comment and blank lines), heredocs, flags and per-instruction argument splitting.
public enum DockerfileParser {
    static let directiveNames: Set<String> = ["escape", "syntax", "check"]

    public static func parse(_ text: String, file: String = "Dockerfile") throws -> DockerfileSyntax {
        var parser = LineParser(lines: splitLines(text), file: file)
        return try parser.run()
    }

    /// Bytes that are not valid UTF-8 are read as U+FFFD, as Go's scanner does.
    public static func parse(bytes: [UInt8], file: String = "Dockerfile") throws -> DockerfileSyntax {
        try parse(String(decoding: bytes, as: UTF8.self), file: file)
    }

    /// Lines with their endings kept (a heredoc body keeps them).
    static func splitLines(_ text: String) -> [Substring] {
        var lines: [Substring] = []
        var start = text.startIndex
        var i = text.startIndex
        let scalars = text.unicodeScalars
        while i < scalars.endIndex {
            let next = scalars.index(after: i)
            if scalars[i] == "\n" {
                lines.append(text[start..<next])
                start = next
            }
            i = next
        }
        if start < text.endIndex { lines.append(text[start...]) }
        return lines
    }
}

private struct LineParser {
    let lines: [Substring]
    let file: String
    var index = 0
    var lineNumber = 0
    var escape: Unicode.Scalar = "\\"
    var directivesDone = false
    var directives: [String: String] = [:]
    var warnings: [DockerfileWarning] = []

    init(lines: [Substring], file: String) {
        self.lines = lines
        self.file = file
    }

    func error(_ line: Int, _ message: String) -> DockerfileError {
        DockerfileError(file: file, line: line, message: message)
    }

    mutating func nextLine() -> Substring? {
        guard index < lines.count else { return nil }
        defer { index += 1 }
        var line = lines[index]
        if index == 0, line.unicodeScalars.first == "\u{FEFF}" { line = Substring(line.unicodeScalars.dropFirst()) }
        return line
    }

    mutating func run() throws -> DockerfileSyntax {
        var nodes: [InstructionNode] = []
        var comments: [String] = []
        while let raw = nextLine() {
            let content = trimNewline(raw)
            let trimmedLeft = trimLeadingSpace(content)
            if trimmedLeft.hasPrefix("#") {
                comments.append(String(ArgumentSplitter.trimSpace(trimmedLeft.dropFirst())))
            }
            try checkDirective(trimmedLeft, line: lineNumber)
            lineNumber += 1
            let startLine = lineNumber
            var (line, ended) = trimContinuation(trimmedLeft.hasPrefix("#") ? "" : String(trimmedLeft))
            if ended && line.isEmpty { continue }

            var emptyContinuation = false
            while !ended, let next = nextLine() {
                let nextContent = trimNewline(next)
                try checkDirective(nextContent, line: lineNumber)
                lineNumber += 1
                let left = trimLeadingSpace(nextContent)
                if left.hasPrefix("#") { continue }
                if left.isEmpty { emptyContinuation = true; continue }
                let (piece, isEnd) = trimContinuation(String(nextContent))
                line += piece
                ended = isEnd
            }
            if !ended {
                warnings.append(DockerfileWarning(file: file, line: lineNumber, rule: "ContinuationAtEndOfFile",
                                                  message: "the last instruction ends with a line continuation"))
            }
            if emptyContinuation {
                warnings.append(DockerfileWarning(file: file, line: startLine, rule: "NoEmptyContinuation",
                                                  message: "Empty continuation lines will become errors in a future release"))
            }

            var node: InstructionNode
            do {
                node = try makeNode(line)
            } catch let e as InstructionError {
                throw error(startLine, e.message)
            }
            node.comments = comments
            comments = []
            if canContainHeredoc(node) {
                for var heredoc in try heredocs(in: line, startLine: startLine) {
                    heredoc.content = try readHeredocBody(heredoc, startLine: startLine)
                    node.heredocs.append(heredoc)
                    if let trigger = node.trigger {
                        var t = trigger.value
                        t.heredocs.append(heredoc)
                        node.trigger = Box(t)
                    }
                }
            }
            node.startLine = startLine
            node.endLine = lineNumber
            if let trigger = node.trigger {
                var t = trigger.value
                t.startLine = startLine; t.endLine = lineNumber
                node.trigger = Box(t)
            }
            nodes.append(node)
        }
        guard !nodes.isEmpty else { throw error(0, "file with no instructions") }
        return DockerfileSyntax(instructions: nodes, escapeCharacter: escape, directives: directives, warnings: warnings)
    }

    /// `# escape=`` and friends, only before the first instruction, comment or blank line.
    mutating func checkDirective(_ text: Substring, line: Int) throws {
        guard !directivesDone else { return }
        guard let (key, value) = Self.directive(in: text), DockerfileParser.directiveNames.contains(key) else {
            directivesDone = true
            return
        }
        if directives[key] != nil { throw error(line + 1, "only one \(key) parser directive can be used") }
        directives[key] = value
        if key == "escape" {
            guard value == "\\" || value == "`" else {
                throw error(line + 1, "invalid escape token '\(value)' does not match ` or \\")
            }
            escape = value.unicodeScalars.first!
        }
    }

    /// `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`
    static func directive(in text: Substring) -> (String, String)? {
        var s = text.unicodeScalars[...]
        guard s.first == "#" else { return nil }
        s = s.dropFirst().drop(while: isASCIISpace)
        let isAlpha = { (c: Unicode.Scalar) in c.isASCII && (c.properties.isAlphabetic) }
        guard let first = s.first, isAlpha(first) else { return nil }
        let keyEnd = s.firstIndex(where: { !(isAlpha($0) || ("0"..."9").contains($0)) }) ?? s.endIndex
        let key = String(s[..<keyEnd]).lowercased()
        s = s[keyEnd...].drop(while: isASCIISpace)
        guard s.first == "=" else { return nil }
        s = s.dropFirst().drop(while: isASCIISpace)
        while let last = s.last, isASCIISpace(last) { s = s.dropLast() }
        guard !s.isEmpty else { return nil }
        return (key, String(s))
    }

    func makeNode(_ line: String) throws -> InstructionNode {
        let (name, flags, rest) = ArgumentSplitter.splitCommand(line)
        if name.lowercased() == "onbuild" {
            var node = InstructionNode(name: name, flags: flags, original: line)
            guard !rest.isEmpty else { return node }
            let trigger = try makeNode(rest)
            node.arguments = [trigger.name] + trigger.arguments
            node.isJSON = trigger.isJSON
            node.trigger = Box(trigger)
            return node
        }
        let split = try ArgumentSplitter.split(instruction: name, rest: rest, escape: escape)
        return InstructionNode(name: name, flags: flags, arguments: split.arguments, isJSON: split.isJSON, original: line)
    }

    func canContainHeredoc(_ node: InstructionNode) -> Bool {
        let target = node.trigger?.value ?? node
        return ["run", "copy", "add"].contains(target.name.lowercased()) && !target.isJSON
    }

    /// The `<<EOF` words of a line. Like buildkit, the whole line is lexed
    /// with quotes and escapes kept, and each word is checked for `^\d*<<-?[^<]*$`.
    func heredocs(in line: String, startLine: Int) throws -> [Heredoc] {
        var raw = ShellWordExpander(escapeCharacter: "\\")
        raw.rawQuotes = true
        raw.rawEscapes = true
        raw.skipUnsetVariables = true
        guard let words = try? raw.expandWords(line, env: [:]) else { return [] }
        var result: [Heredoc] = []
        for word in words {
            var s = word.unicodeScalars[...]
            let digits = s.prefix(while: { ("0"..."9").contains($0) })
            s = s.dropFirst(digits.count)
            guard s.starts(with: "<<".unicodeScalars) else { continue }
            s = s.dropFirst(2)
            let chomp = s.first == "-"
            if chomp { s = s.dropFirst() }
            guard !s.isEmpty, !s.contains("<") else { continue }
            let rest = String(s)
            var plain = ShellWordExpander(escapeCharacter: "\\")
            plain.skipUnsetVariables = true
            let names: [String]
            do { names = try plain.expandWords(rest, env: [:]) } catch {
                throw self.error(startLine, "invalid heredoc name \(rest): \(error)")
            }
            guard names.count == 1 else { continue }
            plain.rawQuotes = true
            guard let rawNames = try? plain.expandWords(rest, env: [:]), rawNames.count == 1 else { continue }
            let quotes = { (w: String) in w.unicodeScalars.filter { $0 == "'" || $0 == "\"" }.count }
            let fd = Int(String(digits)) ?? 0
            result.append(Heredoc(name: names[0], expand: quotes(names[0]) == quotes(rawNames[0]),
                                  chomp: chomp, fileDescriptor: fd))
        }
        return result
    }

    mutating func readHeredocBody(_ heredoc: Heredoc, startLine: Int) throws -> String {
        var content = ""
        while let raw = nextLine() {
            lineNumber += 1
            var candidate = trimNewline(raw)
            if heredoc.chomp { candidate = candidate.drop(while: { $0 == "\t" }) }
            if candidate == heredoc.name { return content }
            content += raw
        }
        throw error(startLine, "unterminated heredoc \(heredoc.name): no line \"\(heredoc.name)\" before the end of the file")
    }

    /// Removes a trailing escape (and the blanks after it): the line goes on.
    /// An escaped escape (`\\` at the end) does not continue the line.
    func trimContinuation(_ line: String) -> (String, Bool) {
        var scalars = line.unicodeScalars[...]
        while let last = scalars.last, last == " " || last == "\t" { scalars = scalars.dropLast() }
        guard scalars.last == escape else { return (line, true) }
        let body = scalars.dropLast()
        if let before = body.last, before == escape { return (line, true) }
        return (String(body), false)
    }
}

func trimNewline(_ s: Substring) -> Substring {
    var scalars = s.unicodeScalars[...]
    while let last = scalars.last, last == "\n" || last == "\r" { scalars = scalars.dropLast() }
    return Substring(scalars)
}

func trimLeadingSpace(_ s: Substring) -> Substring {
    Substring(s.unicodeScalars.drop(while: isShellSpace))
}

private func isASCIISpace(_ c: Unicode.Scalar) -> Bool {
    c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0B}" || c == "\u{0C}"
}
