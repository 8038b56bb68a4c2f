/// Decides which paths of a build context exist for the build, as the
/// `.dockerignore` file says. The patterns themselves are the Dockerfile
/// module's business (`DockerIgnore`); the Builder only asks this question.
public protocol ContextFilter: Sendable {
    /// Whether `relativePath` (slash-separated, no leading `./` or `/`) is
    /// left out of the context.
    func excludes(_ relativePath: String) -> Bool
    /// Whether some path below an excluded directory may still be included
    /// (a `!` exception), so a walk must look inside it.
    var hasExceptions: Bool { get }
}

/// The filter of a context without a `.dockerignore`: everything is in.
public struct IncludeEverything: ContextFilter {
    public init() {}
    public func excludes(_ relativePath: String) -> Bool { false }
    public var hasExceptions: Bool { false }
}
