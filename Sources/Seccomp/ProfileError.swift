/// A profile that cannot be used, said in one line a user can act on:
/// which file, where in it (a JSON path such as `syscalls[3].names[1]`), what is wrong.
public struct ProfileError: Error, CustomStringConvertible, Equatable {
    public var file: String?
    public var path: String?
    public var message: String

    public init(_ message: String, path: String? = nil, file: String? = nil) {
        self.message = message
        self.path = path
        self.file = file
    }

    public var description: String {
        var parts: [String] = []
        if let file { parts.append(file) }
        if let path, !path.isEmpty { parts.append(path) }
        parts.append(message)
        return parts.joined(separator: ": ")
    }

    func `in`(file: String) -> ProfileError {
        var copy = self
        if copy.file == nil { copy.file = file }
        return copy
    }
}

/// A failure of libseccomp itself while building the filter.
public struct SeccompCompileError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
