import Dockerfile
import Foundation

extension DockerIgnore: ContextFilter {
    public func excludes(_ relativePath: String) -> Bool { isExcluded(relativePath) }
    public var hasExceptions: Bool { hasExclusions }
}

/// What `hutch build` was given: the context folder, the Dockerfile's
/// text and the name to show in messages, and the `.dockerignore` filter.
public struct BuildContext {
    public var directory: String
    public var dockerfileText: String
    /// The Dockerfile as the user named it, for "Dockerfile:3: ..." messages.
    public var dockerfileName: String
    public var filter: ContextFilter

    public var tree: ContextTree { ContextTree(directory: directory, filter: filter) }

    public init(directory: String, dockerfileText: String, dockerfileName: String,
                filter: ContextFilter = IncludeEverything()) {
        self.directory = directory; self.dockerfileText = dockerfileText
        self.dockerfileName = dockerfileName; self.filter = filter
    }

    /// Loads a context as Docker's CLI does: `context` is a folder, or "-"
    /// for a Dockerfile on standard input and no files; `file` (-f) is
    /// relative to the current folder, "-" for standard input, and
    /// defaults to CONTEXT/Dockerfile (or CONTEXT/dockerfile).
    public static func load(context: String, file: String?, readStandardInput: () throws -> Data = {
        FileHandle.standardInput.readDataToEndOfFile()
    }) throws -> BuildContext {
        let fm = FileManager.default
        if context == "-" {
            guard file == nil || file == "-" else {
                throw BuildError("with the context on standard input (\"-\"), -f cannot name a file", exitCode: 125)
            }
            let text = String(decoding: try readStandardInput(), as: UTF8.self)
            let empty = NSTemporaryDirectory() + "/hutch-empty-context-\(getpid())"
            try? fm.createDirectory(atPath: empty, withIntermediateDirectories: true)
            return BuildContext(directory: empty, dockerfileText: text, dockerfileName: "Dockerfile")
        }
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: context, isDirectory: &isDirectory) else {
            throw BuildError("unable to prepare context: path \"\(context)\" not found", exitCode: 125)
        }
        guard isDirectory.boolValue else {
            throw BuildError("unable to prepare context: context must be a directory: \(context)", exitCode: 125)
        }
        let directory = URL(fileURLWithPath: context).standardizedFileURL.path
        let text: String
        let name: String
        var dockerfilePath: String
        if file == "-" {
            text = String(decoding: try readStandardInput(), as: UTF8.self)
            name = "Dockerfile"
            dockerfilePath = directory + "/Dockerfile"
        } else {
            if let file {
                dockerfilePath = URL(fileURLWithPath: file).standardizedFileURL.path
                name = file
            } else {
                dockerfilePath = directory + "/Dockerfile"
                if !fm.fileExists(atPath: dockerfilePath), fm.fileExists(atPath: directory + "/dockerfile") {
                    dockerfilePath = directory + "/dockerfile"
                }
                name = TreePath.basename(dockerfilePath)
            }
            guard let data = fm.contents(atPath: dockerfilePath) else {
                throw BuildError("unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat \(dockerfilePath): no such file or directory",
                                 exitCode: 125)
            }
            text = String(decoding: data, as: UTF8.self)
        }
        var filter: ContextFilter = IncludeEverything()
        for candidate in DockerIgnore.candidatePaths(dockerfile: dockerfilePath, contextDirectory: directory) {
            guard let data = fm.contents(atPath: candidate) else { continue }
            do {
                filter = try DockerIgnore(parsing: String(decoding: data, as: UTF8.self))
            } catch {
                throw BuildError("\(TreePath.basename(candidate)): \(error)", exitCode: 125)
            }
            break
        }
        return BuildContext(directory: directory, dockerfileText: text, dockerfileName: name, filter: filter)
    }
}
