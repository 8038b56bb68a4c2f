/// A problem in a Dockerfile, located: `Dockerfile:7: unknown instruction:
/// COPPY (did you mean COPY?)`.
public struct DockerfileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The name the user knows the file by (`Dockerfile`, `build/app.Dockerfile`).
    public var file: String
    /// 1-based; 0 when the problem is the file as a whole.
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
    }
}

/// An error found while typing one instruction; the parser adds the location.
struct InstructionError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// "did you mean COPY?" for a near miss, as buildkit's suggest package does.
enum Suggestion {
    static func closest(to word: String, in candidates: [String], caseSensitive: Bool = false) -> String? {
        let target = caseSensitive ? word : word.lowercased()
        var best: (String, Int)?
        for candidate in candidates {
            let c = caseSensitive ? candidate : candidate.lowercased()
            let d = distance(Array(target.unicodeScalars), Array(c.unicodeScalars))
            // One edit for short words, two or a third of the length for longer ones.
            let length = min(c.unicodeScalars.count, target.unicodeScalars.count)
            let limit = length >= 4 ? max(2, length / 3) : 1
            if d <= limit, best == nil || d < best!.1 { best = (candidate, d) }
        }
        return best?.0
    }

    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        if a.count > 64 || b.count > 64 { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
