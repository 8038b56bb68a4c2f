import Foundation

/// One line of a container's log, in Docker's json-file format:
/// `{"log":"hello\n","stream":"stdout","time":"2024-05-01T12:34:56.123456789Z"}`.
public struct LogEntry: Codable, Equatable {
    public var log: String
    public var stream: String
    public var time: String

    public init(log: String, stream: String, time: String) {
        self.log = log
        self.stream = stream
        self.time = time
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    /// The entry as one line, newline included.
    public func encodedLine() -> Data {
        var data = (try? LogEntry.encoder.encode(self)) ?? Data()
        data.append(0x0a)
        return data
    }

    /// Parses one line; nil for a line cut short by a crash or not ours.
    public static func decode(_ line: Data) -> LogEntry? {
        try? JSONDecoder().decode(LogEntry.self, from: line)
    }

    public var date: Date? { HumanTime.parseRFC3339(time) }
}

/// Splits a stream's output into log entries: one per line, the newline
/// kept, as Docker does; a partial line waits for the rest unless it grows
/// past 16 KiB (Docker's limit) or the stream ends.
public struct LogLineSplitter {
    public let stream: String
    private var pending: [UInt8] = []
    static let maxLine = 16 * 1024

    public init(stream: String) { self.stream = stream }

    /// The complete lines in `bytes`, each as (text, with newline).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [String] {
        var lines: [String] = []
        for byte in bytes {
            pending.append(byte)
            if byte == 0x0a || pending.count >= LogLineSplitter.maxLine {
                lines.append(String(decoding: pending, as: UTF8.self))
                pending.removeAll(keepingCapacity: true)
            }
        }
        return lines
    }

    /// What is left when the stream ends.
    public mutating func flush() -> String? {
        guard !pending.isEmpty else { return nil }
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }
}
