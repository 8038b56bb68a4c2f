import Foundation
import OCI
import Store

/// Docker's way of showing sizes, times and tables, so transcripts match.
enum DockerFormat {
    /// go-units HumanSize: decimal units, 3 significant digits ("917MB", "72.8MB").
    static func size(_ bytes: Int64) -> String {
        var value = Double(bytes)
        let units = ["B", "kB", "MB", "GB", "TB", "PB"]
        var i = 0
        while value >= 1000 && i < units.count - 1 { value /= 1000; i += 1 }
        return String(format: "%.3g", value) + units[i]
    }

    /// go-units HumanDuration + " ago" ("2 minutes ago", "5 days ago").
    static func since(_ date: Date, now: Date = Date()) -> String {
        let d = max(0, now.timeIntervalSince(date))
        let seconds = Int(d)
        let text: String
        if seconds < 1 { text = "Less than a second" }
        else if seconds == 1 { text = "1 second" }
        else if seconds < 60 { text = "\(seconds) seconds" }
        else if Int(d / 60) == 1 { text = "About a minute" }
        else if Int(d / 60) < 60 { text = "\(Int(d / 60)) minutes" }
        else {
            let hours = Int(d / 3600 + 0.5)
            if hours == 1 { text = "About an hour" }
            else if hours < 48 { text = "\(hours) hours" }
            else if hours < 24 * 7 * 2 { text = "\(hours / 24) days" }
            else if hours < 24 * 30 * 2 { text = "\(hours / 24 / 7) weeks" }
            else if hours < 24 * 365 * 2 { text = "\(hours / 24 / 30) months" }
            else { text = "\(Int(d / 3600) / 24 / 365) years" }
        }
        return text + " ago"
    }

    /// Go's time.Time String() as Docker prints CreatedAt.
    static func createdAt(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss Z zzz"
        return f.string(from: date)
    }

    /// Docker's tabwriter (minwidth 10, padding 3): every column but the last
    /// is padded to its widest cell plus three spaces.
    static func table(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for row in rows {
            var line = ""
            for (i, cell) in row.enumerated() {
                if i == row.count - 1 { line += cell } else {
                    line += cell + String(repeating: " ", count: max(10, widths[i] + 3) - cell.count)
                }
            }
            out += line + "\n"
        }
        return out
    }

    /// A Go-template-like `--format`: `{{.Field}}` replaced from `fields`;
    /// `table ...` prints a header row and aligns columns split by `\t`.
    static func render(format: String, headers: [String: String], rows: [[String: String]]) -> String {
        var template = format.replacingOccurrences(of: "\\t", with: "\t").replacingOccurrences(of: "\\n", with: "\n")
        let isTable = template.hasPrefix("table")
        if isTable { template = String(template.dropFirst(5)).trimmingCharacters(in: .whitespaces) }
        func fill(_ values: [String: String]) -> String {
            var result = ""
            var rest = Substring(template)
            while let open = rest.range(of: "{{") {
                result += rest[..<open.lowerBound]
                guard let close = rest[open.upperBound...].range(of: "}}") else { result += rest[open.lowerBound...]; rest = ""; break }
                let key = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
                let name = key.hasPrefix(".") ? String(key.dropFirst()) : key
                result += values[name] ?? ""
                rest = rest[close.upperBound...]
            }
            return result + rest
        }
        let lines = rows.map(fill)
        guard isTable else { return lines.map { $0 + "\n" }.joined() }
        let header = fill(headers)
        return table(([header] + lines).map { $0.components(separatedBy: "\t") })
    }
}
