import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A process named by its pid and its start time (field 22 of
/// /proc/PID/stat, clock ticks since boot): a pid the kernel has reused for
/// another process has another start time, so it is never mistaken for ours.
public struct ProcessIdentity: Codable, Equatable, Hashable, Sendable {
    public var pid: Int32
    public var startTime: UInt64

    public init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// The identity of a live process, nil when there is none with this pid.
    public static func of(_ pid: Int32) -> ProcessIdentity? {
        guard pid > 0, let start = startTime(of: pid) else { return nil }
        return ProcessIdentity(pid: pid, startTime: start)
    }

    /// True while this very process exists (zombies count as gone).
    public var isAlive: Bool {
        guard pid > 0, let stat = ProcessIdentity.stat(of: pid) else { return false }
        return stat.startTime == startTime && stat.state != "Z" && stat.state != "X"
    }

    /// Sends a signal only if the pid is still this process.
    @discardableResult
    public func signal(_ sig: Int32) -> Bool {
        guard isAlive else { return false }
        return kill(pid, sig) == 0
    }

    static func startTime(of pid: Int32) -> UInt64? { stat(of: pid)?.startTime }

    /// Parses /proc/PID/stat. The command name (field 2) is in parentheses
    /// and may itself hold spaces and parentheses: fields are counted from
    /// the last ')'.
    static func stat(of pid: Int32) -> (state: Character, startTime: UInt64)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        return parseStat(text)
    }

    static func parseStat(_ text: String) -> (state: Character, startTime: UInt64)? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the name: state is field 3, starttime field 22.
        guard fields.count >= 20, let state = fields[0].first, let start = UInt64(fields[19]) else { return nil }
        return (state, start)
    }
}
