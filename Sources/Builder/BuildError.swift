/// A build failure the user can act on. `location` names the Dockerfile and
/// line when the failure belongs to an instruction, as Docker's messages do.
public struct BuildError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var location: String?
    /// Docker exits 1 for a failed build (a bad Dockerfile, a failing RUN).
    public var exitCode: Int32

    public init(_ message: String, at location: String? = nil, exitCode: Int32 = 1) {
        self.message = message
        self.location = location
        self.exitCode = exitCode
    }

    public var description: String {
        guard let location else { return message }
        return "\(location): \(message)"
    }

    /// The same failure, attributed to a Dockerfile line when it has none yet.
    public func located(_ location: String) -> BuildError {
        var copy = self
        if copy.location == nil { copy.location = location }
        return copy
    }
}
