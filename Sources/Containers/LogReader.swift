import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `hutch logs`: reads a container's json-file log back.
public struct LogReader {
    public struct Options {
        public var follow = false
        /// Only the last N lines (nil: all).
        public var tail: Int?
        public var timestamps = false
        public var since: Date?
        public var until: Date?
        public init() {}
    }

    public let path: String
    public let options: Options

    public init(path: String, options: Options) {
        self.path = path
        self.options = options
    }

    /// Parses `--tail`: a number or "all".
    public static func parseTail(_ text: String) throws -> Int? {
        if text == "all" || text == "-1" { return nil }
        guard let n = Int(text), n >= 0 else {
            throw ContainerError.invalidOption("invalid value for --tail: \(text): expected a number or \"all\"")
        }
        return n
    }

    /// The text to print for an entry (`-t` adds the timestamp first).
    public func render(_ entry: LogEntry) -> String {
        options.timestamps ? entry.time + " " + entry.log : entry.log
    }

    func accepts(_ entry: LogEntry) -> Bool {
        guard options.since != nil || options.until != nil else { return true }
        guard let date = entry.date else { return true }
        if let since = options.since, date < since { return false }
        if let until = options.until, date > until { return false }
        return true
    }

    /// Emits the log's entries; with `follow`, keeps emitting new ones until
    /// `stillWriting` says the container and its monitor are done.
    public func stream(stillWriting: () -> Bool, emit: (LogEntry) -> Void) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        func readAvailable() -> [LogEntry] {
            var entries: [LogEntry] = []
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                pending += buffer[0..<n]
            }
            // Only whole lines: a line the monitor is writing waits for its end.
            while let nl = pending.firstIndex(of: 0x0a) {
                if let e = LogEntry.decode(Data(pending[..<nl])), accepts(e) { entries.append(e) }
                pending.removeSubrange(...nl)
            }
            return entries
        }
        var first = readAvailable()
        if let tail = options.tail { first = Array(first.suffix(tail)) }
        first.forEach(emit)
        guard options.follow else { return }
        while true {
            let running = stillWriting()
            readAvailable().forEach(emit)
            if !running { break }
            usleep(50_000)
        }
    }
}
