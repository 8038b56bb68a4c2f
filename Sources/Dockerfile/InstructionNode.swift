/// One instruction as Docker's parser splits it, before any typing or
/// variable expansion: what `hutch build --check --format json` prints.
public struct InstructionNode: Equatable, Sendable {
    /// The instruction name as written (`copy`, `COPY`, `Copy`).
    public var name: String
    /// `--name=value` flags, as written after the quotes are removed.
    public var flags: [String]
    /// The arguments as the per-instruction parser splits them.
    public var arguments: [String]
    /// Whether the arguments came from a JSON array (exec form).
    public var isJSON: Bool
    public var heredocs: [Heredoc]
    /// 1-based, inclusive; a heredoc's body is part of its instruction.
    public var startLine: Int
    public var endLine: Int
    /// The logical line (continuations joined, comments removed).
    public var original: String
    /// The comment lines right above the instruction.
    public var comments: [String]
    /// ONBUILD's trigger instruction.
    public var trigger: Box<InstructionNode>?

    /// The name in capitals, the form messages and the JSON output use.
    public var keyword: String { name.uppercased() }

    public init(name: String, flags: [String] = [], arguments: [String] = [], isJSON: Bool = false,
                heredocs: [Heredoc] = [], startLine: Int = 0, endLine: Int = 0, original: String = "",
                comments: [String] = [], trigger: InstructionNode? = nil) {
        self.name = name
        self.flags = flags
        self.arguments = arguments
        self.isJSON = isJSON
        self.heredocs = heredocs
        self.startLine = startLine
        self.endLine = endLine
        self.original = original
        self.comments = comments
        self.trigger = trigger.map(Box.init)
    }
}

/// A heredoc attached to RUN, COPY or ADD: `<<EOF`, `<<-EOF`, `<<"EOF"`.
public struct Heredoc: Equatable, Sendable, Encodable {
    /// The delimiter word, quotes removed.
    public var name: String
    /// The body as written, every line with its line ending, without the delimiter line.
    public var content: String
    /// False when the delimiter was quoted: no variable expansion in the body.
    public var expand: Bool
    /// `<<-`: leading tabs are stripped from every line of the body.
    public var chomp: Bool
    /// `3<<EOF` gives 3; 0 when no number was written.
    public var fileDescriptor: Int

    public init(name: String, content: String = "", expand: Bool = true, chomp: Bool = false, fileDescriptor: Int = 0) {
        self.name = name
        self.content = content
        self.expand = expand
        self.chomp = chomp
        self.fileDescriptor = fileDescriptor
    }

    /// The body as the instruction uses it: with `<<-`, leading tabs removed from each line.
    public var body: String {
        guard chomp else { return content }
        var out = ""
        var atLineStart = true
        for ch in content.unicodeScalars {
            if atLineStart && ch == "\t" { continue }
            atLineStart = ch == "\n"
            out.unicodeScalars.append(ch)
        }
        return out
    }

    enum CodingKeys: String, CodingKey { case name, content, expand, chomp }
}

/// Lets a value type hold one of its own kind (ONBUILD holds an instruction).
public final class Box<Value: Equatable & Sendable>: Equatable, @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
    public static func == (a: Box, b: Box) -> Bool { a.value == b.value }
}

extension InstructionNode: Encodable {
    enum CodingKeys: String, CodingKey {
        case instruction, flags, arguments, json, heredocs, startLine, endLine, trigger
    }

    /// The schema of `hutch build --check --format json` (docs/build.md).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(keyword, forKey: .instruction)
        try c.encode(flags, forKey: .flags)
        try c.encode(arguments, forKey: .arguments)
        try c.encode(isJSON, forKey: .json)
        try c.encode(heredocs, forKey: .heredocs)
        try c.encode(startLine, forKey: .startLine)
        try c.encode(endLine, forKey: .endLine)
        if let trigger { try c.encode(trigger.value, forKey: .trigger) }
    }
}
