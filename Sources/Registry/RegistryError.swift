/// Why talking to a registry failed, worded for the user.
public enum RegistryError: Error, CustomStringConvertible, Equatable {
    /// Could not connect, or the connection broke (url, why).
    case network(String, String)
    /// 401 after authenticating (registry, what the registry said).
    case unauthorized(String, String)
    /// 403 / denied (what, registry message).
    case denied(String, String)
    /// No such manifest or repository.
    case notFound(String)
    /// Any other unexpected status (what was asked, status, registry message).
    case unexpectedStatus(String, Int, String)
    /// The registry did something the API does not allow.
    case protocolViolation(String)
    /// A blob's bytes do not hash to its digest (digest, what they hashed to).
    case digestMismatch(String, String)
    /// No manifest for the wanted platform (image, wanted, available).
    case noMatchingPlatform(String, String, [String])
    /// A single-platform image is not for the platform asked for (image, wanted, actual).
    case platformMismatch(String, String, String)
    /// Plain HTTP refused for a non-loopback registry.
    case insecureRefused(String)

    public var description: String {
        switch self {
        case let .network(url, why): return "cannot reach \(url): \(why)"
        case let .unauthorized(registry, message):
            return "unauthorized: authentication required for \(registry)\(message.isEmpty ? "" : " (\(message))"): run `hutch login \(registry)`"
        case let .denied(what, message):
            return "denied: requested access to \(what) is denied\(message.isEmpty ? "" : " (\(message))")"
        case let .notFound(what): return "manifest unknown: \(what) not found"
        case let .unexpectedStatus(what, status, message):
            return "\(what): the registry answered HTTP \(status)\(message.isEmpty ? "" : ": \(message)")"
        case let .protocolViolation(what): return "registry protocol error: \(what)"
        case let .digestMismatch(digest, actual):
            return "filesystem layer verification failed for digest \(digest) (the download hashed to \(actual))"
        case let .noMatchingPlatform(image, wanted, available):
            return "no matching manifest for \(wanted) in the manifest list entries of \(image) (it has: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case let .platformMismatch(image, wanted, actual):
            return "image with reference \(image) was found but does not match the specified platform: wanted \(wanted), actual: \(actual)"
        case let .insecureRefused(host):
            return "\(host) is not on a loopback address, so hutch uses HTTPS: name it in [registries] insecure of the config file to allow plain HTTP"
        }
    }
}
