import Foundation

/// Decodes profile JSON, turning Foundation's errors into one line with a
/// JSON path (`syscalls[2].args[0].value`) or a line and column.
enum ProfileDecoder {
    static func decode(_ data: Data) throws -> SeccompProfile {
        do {
            return try JSONDecoder().decode(SeccompProfile.self, from: data)
        } catch let error as DecodingError {
            throw ProfileError(message(for: error, data: data), path: path(of: error))
        }
    }

    static func jsonPath(_ codingPath: [CodingKey]) -> String {
        var result = ""
        for key in codingPath {
            if let i = key.intValue { result += "[\(i)]" } else { result += (result.isEmpty ? "" : ".") + key.stringValue }
        }
        return result
    }

    private static func path(of error: DecodingError) -> String? {
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            return c.codingPath.isEmpty ? nil : jsonPath(c.codingPath)
        case .keyNotFound(_, let c):
            return c.codingPath.isEmpty ? nil : jsonPath(c.codingPath)
        @unknown default:
            return nil
        }
    }

    private static func message(for error: DecodingError, data: Data) -> String {
        switch error {
        case .typeMismatch(let type, let c):
            return "expected \(describe(type)): \(c.debugDescription)"
        case .valueNotFound(let type, _):
            return "expected \(describe(type)), found null"
        case .keyNotFound(let key, _):
            return "missing \"\(key.stringValue)\""
        case .dataCorrupted(let c):
            if c.codingPath.isEmpty { return syntaxMessage(data) }
            return c.debugDescription
        @unknown default:
            return "\(error)"
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is UInt32.Type, is UInt64.Type, is Int.Type: return "a non-negative integer"
        case is [Any].Type: return "an array"
        default: return String(describing: type)
        }
    }

    /// JSONDecoder does not say where JSON is broken; JSONSerialization gives
    /// a character offset, which we turn into a line and column.
    static func syntaxMessage(_ data: Data) -> String {
        if data.isEmpty || data.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x09 || $0 == 0x0d }) {
            return "not valid JSON: the file is empty"
        }
        do {
            let object = try JSONSerialization.jsonObject(with: data, options: [])
            guard let top = object as? [String: Any] else { return "not valid JSON: the top level must be an object" }
            if let (path, message) = badNumber(in: top) { return "\(path): \(message)" }
            return "not a seccomp profile"
        } catch {
            let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            if text.contains("end of file") || text.contains("Unexpected end") {
                let (line, column) = location(ofOffset: data.count, in: data)
                return "not valid JSON: it ends too early (line \(line), column \(column)): is it truncated?"
            }
            if let range = text.range(of: "character "),
               let offset = Int(text[range.upperBound...].prefix { $0.isNumber }) {
                let (line, column) = location(ofOffset: offset, in: data)
                return "not valid JSON at line \(line), column \(column)"
            }
            return "not valid JSON: \(text)"
        }
    }

    /// Foundation calls a negative or oversized number "not valid JSON"
    /// without saying where: find it among the numeric fields.
    static func badNumber(in top: [String: Any]) -> (String, String)? {
        func check(_ value: Any?, _ path: String, max: Double) -> (String, String)? {
            guard let value else { return nil }
            guard let n = value as? NSNumber else { return nil }
            let d = n.doubleValue
            if d < 0 || d != d.rounded() || d > max {
                return (path, "\(n) is not a whole number from 0 to \(UInt64(max))")
            }
            return nil
        }
        let u32 = Double(UInt32.max), u64 = Double(UInt64.max)
        if let bad = check(top["defaultErrnoRet"], "defaultErrnoRet", max: u32) { return bad }
        for (i, rule) in ((top["syscalls"] as? [Any]) ?? []).enumerated() {
            guard let rule = rule as? [String: Any] else { continue }
            if let bad = check(rule["errnoRet"], "syscalls[\(i)].errnoRet", max: u32) { return bad }
            for (j, arg) in ((rule["args"] as? [Any]) ?? []).enumerated() {
                guard let arg = arg as? [String: Any] else { continue }
                for (key, max) in [("index", u32), ("value", u64), ("valueTwo", u64)] {
                    if let bad = check(arg[key], "syscalls[\(i)].args[\(j)].\(key)", max: max) { return bad }
                }
            }
        }
        return nil
    }

    static func location(ofOffset offset: Int, in data: Data) -> (Int, Int) {
        var line = 1, column = 1
        for byte in data.prefix(offset) {
            if byte == 0x0a { line += 1; column = 1 } else if byte & 0xc0 != 0x80 { column += 1 }
        }
        return (line, column)
    }
}
