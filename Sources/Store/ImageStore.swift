import Foundation
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// images.json: read freely; changed only through `update` under the store
/// lock, and replaced atomically, so an image and its tags appear at once.
public final class ImageStore: @unchecked Sendable {
    public let path: String

    init(path: String) { self.path = path }

    public func load() throws -> ImageTable {
        guard let data = try readFileIfPresent(path) else { return ImageTable() }
        do { return try JSONDecoder.store.decode(ImageTable.self, from: data) } catch {
            throw StoreError.corrupt("\(error)", path: path)
        }
    }

    /// Changes the table: callers hold `Store.withLock`.
    @discardableResult
    public func update<T>(_ change: (inout ImageTable) throws -> T) throws -> T {
        var table = try load()
        let result = try change(&table)
        try AtomicFile.write(try JSONEncoder.store.encode(table), to: path)
        return result
    }
}

extension JSONEncoder {
    static var store: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(formatRFC3339(date))
        }
        return e
    }
}

extension JSONDecoder {
    static var store: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = parseRFC3339(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad date \(text)"))
            }
            return date
        }
        return d
    }
}
