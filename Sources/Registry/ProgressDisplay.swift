import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Docker's pull and push output: one line per layer, updated in place on
/// a terminal (`a1b2c3d4e5f6: Downloading [=====>    ]  12.3MB/45.6MB`),
/// or a plain line per change of state when the output is a file or a pipe.
public final class ProgressDisplay: @unchecked Sendable {
    private let fd: Int32
    private let isTerminal: Bool
    private let lock = NSLock()
    /// Layer lines in the order they appeared, with their current text.
    private var ids: [String] = []
    private var texts: [String: String] = [:]
    private var lastDraw: [String: UInt64] = [:]
    private var lastStatus: [String: String] = [:]
    /// Lines printed below the first layer line that are not layers'.
    private var otherLines = 0
    private var order: [String: Int] = [:]

    /// Writes to `fd` (stdout by default), redrawing in place when it is a terminal.
    public init(fd: Int32 = 1, terminal: Bool? = nil) {
        self.fd = fd
        self.isTerminal = terminal ?? (isatty(fd) == 1)
    }

    /// A line that is not a layer's (`latest: Pulling from library/python`).
    public func message(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        if !ids.isEmpty { otherLines += 1 }
        emit(text + "\n")
    }

    /// Sets a layer's status (`Pulling fs layer`, `Download complete`, ...).
    public func layer(_ id: String, _ status: String) {
        update(id, status: status, text: status, force: true)
    }

    /// A layer's progress bar (`Downloading`, `Extracting`, `Pushing`).
    public func layer(_ id: String, _ status: String, current: Int64, total: Int64) {
        update(id, status: status, text: status + " " + Self.bar(current: current, total: total), force: false)
    }

    private func update(_ id: String, status: String, text: String, force: Bool) {
        lock.lock(); defer { lock.unlock() }
        guard isTerminal else {
            // Plain output: a line per change of status, none for progress
            // bars (docker prints no Downloading lines to a pipe either).
            if force, lastStatus[id] != status {
                lastStatus[id] = status
                emit(id + ": " + status + "\n")
            }
            return
        }
        let now = DispatchTime.now().uptimeNanoseconds
        guard let index = order[id] else {
            // A new layer line goes below any message line: count its place.
            ids.append(id)
            order[id] = ids.count - 1 + otherLines
            texts[id] = text
            lastDraw[id] = now
            emit(id + ": " + text + "\n")
            return
        }
        // Redraw a bar at most 10 times a second; status changes always.
        if !force, let last = lastDraw[id], now - last < 100_000_000, lastStatus[id] == status { return }
        lastDraw[id] = now
        lastStatus[id] = status
        texts[id] = text
        let up = ids.count + otherLines - index
        emit("\u{1b}[\(up)A\r\u{1b}[2K" + id + ": " + text + "\r\u{1b}[\(up)B")
    }

    private func emit(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }

    /// `[=====>      ]  12.3MB/45.6MB`, as docker's jsonmessage draws it.
    static func bar(current: Int64, total: Int64) -> String {
        guard total > 0 else { return String(repeating: " ", count: 8) + humanSize(current) }
        let width = 50
        let filled = min(width, Int(Double(max(0, current)) / Double(total) * Double(width)))
        let box = "[" + String(repeating: "=", count: filled) + ">" + String(repeating: " ", count: width - filled) + "] "
        let numbers = humanSize(current)
        return box + String(repeating: " ", count: max(0, 8 - numbers.count)) + numbers + "/" + humanSize(total)
    }

    /// go-units' HumanSize: decimal units, three significant digits (`12.3MB`, `1.05kB`, `512B`).
    public static func humanSize(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return String(format: "%.3g", value) + units[unit]
    }
}
