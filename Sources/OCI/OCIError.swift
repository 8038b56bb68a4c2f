/// Why an OCI object or a name could not be read, in words a user can act on.
public enum OCIError: Error, CustomStringConvertible, Equatable, Sendable {
    case invalidDigest(String, String)
    case invalidReference(String, String)
    case invalidJSON(what: String, String)
    case unsupportedMediaType(String)

    public var description: String {
        switch self {
        case let .invalidDigest(text, why): return "invalid digest \"\(text)\": \(why)"
        case let .invalidReference(text, why):
            return why.isEmpty ? "invalid reference format: \(text)" : "invalid reference format: \(why)"
        case let .invalidJSON(what, why): return "invalid \(what): \(why)"
        case let .unsupportedMediaType(type): return "unsupported media type \(type)"
        }
    }
}
