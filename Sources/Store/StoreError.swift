import OCI

/// Why the store could not do something, in words a user can act on.
public enum StoreError: Error, CustomStringConvertible, Sendable {
    case io(String, path: String, errno: Int32)
    case digestMismatch(expected: Digest, actual: Digest)
    case sizeMismatch(expected: Int64, actual: Int64)
    case blobUnknown(Digest)
    case imageUnknown(String)
    case layerUnknown(Digest)
    case hostileArchive(String)
    case brokenArchive(String)
    case brokenImageArchive(String)
    case conflict(String)
    case corrupt(String, path: String)
    case unsupportedFilesystem(String)

    public var description: String {
        switch self {
        case let .io(what, path, e):
            let reason = String(cString: strerror(e))
            if e == ENOSPC { return "\(what) \(path): no space left on device (the store is unchanged; free some space and retry)" }
            if e == EDQUOT { return "\(what) \(path): disk quota exceeded (the store is unchanged; free some space and retry)" }
            return "\(what) \(path): \(reason)"
        case let .digestMismatch(expected, actual):
            return "content does not match its digest: expected \(expected), got \(actual)"
        case let .sizeMismatch(expected, actual):
            return "content size does not match: expected \(expected) bytes, got \(actual)"
        case let .blobUnknown(d): return "blob \(d) is not in the store"
        case let .imageUnknown(name): return "No such image: \(name)"
        case let .layerUnknown(d): return "layer \(d) is not in the store"
        case let .hostileArchive(why): return "refusing layer archive: \(why)"
        case let .brokenArchive(why): return "cannot read layer archive: \(why)"
        case let .brokenImageArchive(why): return "cannot load image archive: \(why)"
        case let .conflict(why): return "conflict: \(why)"
        case let .corrupt(why, path): return "store file \(path) is damaged: \(why)"
        case let .unsupportedFilesystem(why): return why
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Throws `StoreError.io` with errno when `result` is -1.
@discardableResult
func check(_ result: Int32, _ what: String, _ path: String) throws -> Int32 {
    if result == -1 { throw StoreError.io(what, path: path, errno: errno) }
    return result
}
