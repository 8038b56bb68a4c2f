import Foundation

/// Durations and timestamps as Docker prints them.
public enum HumanTime {
    /// Docker's units.HumanDuration: "Less than a second", "3 seconds",
    /// "About a minute", "5 minutes", "About an hour", "3 hours", "2 days"...
    public static func duration(_ interval: TimeInterval) -> String {
        let seconds = Int(interval)
        if seconds < 1 { return "Less than a second" }
        if seconds == 1 { return "1 second" }
        if seconds < 60 { return "\(seconds) seconds" }
        let minutes = Int(interval / 60)
        if minutes == 1 { return "About a minute" }
        if minutes < 60 { return "\(minutes) minutes" }
        let hours = Int((interval / 3600).rounded())
        if hours == 1 { return "About an hour" }
        if hours < 48 { return "\(hours) hours" }
        if hours < 24 * 7 * 2 { return "\(hours / 24) days" }
        if hours < 24 * 30 * 2 { return "\(hours / 24 / 7) weeks" }
        if hours < 24 * 365 * 2 { return "\(hours / 24 / 30) months" }
        return "\(Int(interval / 3600) / 24 / 365) years"
    }

    public static func ago(_ date: Date, now: Date = Date()) -> String {
        duration(now.timeIntervalSince(date)) + " ago"
    }

    /// RFC 3339 with nanoseconds in UTC, as Docker's json-file log writes:
    /// 2024-05-01T12:34:56.123456789Z.
    public static func rfc3339Nano(_ ts: timespec) -> String {
        var t = time_t(ts.tv_sec)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        let nanos = String(ts.tv_nsec)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + String(repeating: "0", count: 9 - nanos.count) + nanos + "Z"
    }

    public static func rfc3339Nano(_ date: Date) -> String {
        let t = date.timeIntervalSince1970
        let sec = t.rounded(.down)
        return rfc3339Nano(timespec(tv_sec: Int(sec), tv_nsec: Int((t - sec) * 1e9)))
    }

    public static func now() -> timespec {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return ts
    }

    /// Parses RFC 3339 (with or without fractions, Z or an offset), a Unix
    /// timestamp (`1714567890[.123]`), or a relative duration (`10m`, `1h30m`,
    /// `45s`) before `now`, as `logs --since` accepts.
    public static func parseSince(_ text: String, now: Date = Date()) -> Date? {
        if let seconds = Double(text), !text.isEmpty { return Date(timeIntervalSince1970: seconds) }
        if let d = parseGoDuration(text) { return now.addingTimeInterval(-d) }
        return parseRFC3339(text)
    }

    static func parseGoDuration(_ text: String) -> TimeInterval? {
        guard !text.isEmpty else { return nil }
        var total = 0.0, number = ""
        var chars = Array(text)[...]
        var sawUnit = false
        while let c = chars.first {
            if c.isNumber || c == "." { number.append(c); chars = chars.dropFirst(); continue }
            guard let value = Double(number) else { return nil }
            var unit = String(c); chars = chars.dropFirst()
            if unit == "m", chars.first == "s" { unit = "ms"; chars = chars.dropFirst() }
            switch unit {
            case "h": total += value * 3600
            case "m": total += value * 60
            case "s": total += value
            case "ms": total += value / 1000
            default: return nil
            }
            number = ""; sawUnit = true
        }
        return number.isEmpty && sawUnit ? total : nil
    }

    public static func parseRFC3339(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // ISO8601DateFormatter handles at most milliseconds: trim the rest.
        var s = text
        if let dot = s.firstIndex(of: ".") {
            var end = s.index(after: dot)
            while end < s.endIndex, s[end].isNumber { end = s.index(after: end) }
            let digits = s[s.index(after: dot)..<end]
            if digits.count > 3 { s = String(s[..<s.index(dot, offsetBy: 4)]) + s[end...] }
            if let d = formatter.date(from: s) { return d }
        }
        formatter.formatOptions = [.withInternetDateTime]
        if let d = formatter.date(from: s) { return d }
        formatter.formatOptions = [.withFullDate]
        return formatter.date(from: s)
    }
}
