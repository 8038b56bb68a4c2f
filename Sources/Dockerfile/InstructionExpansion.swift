/// Variable substitution in exactly the instructions Docker substitutes in:
/// ADD, COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR,
/// ARG (and RUN's --mount values). RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK
/// and MAINTAINER are left alone (the container's shell expands them), and
/// ONBUILD's trigger is expanded when it runs in the child image's build.
extension Instruction {
    /// A copy with its words expanded against `env` (the stage's ENV and ARGs
    /// in scope; for FROM, the meta ARGs). Quotes are removed as Docker does.
    public func expanded(env: [String: String], escape: Unicode.Scalar = "\\", file: String = "Dockerfile") throws -> Instruction {
        let shell = ShellWordExpander(escapeCharacter: escape)
        let line = node.startLine
        func word(_ s: String) throws -> String {
            do { return try shell.expand(s, env: env) } catch let e as ExpansionError {
                throw DockerfileError(file: file, line: line, message: e.message)
            }
        }
        func optional(_ s: String?) throws -> String? { try s.map(word) }
        switch self {
        case .from(var i):
            i.baseName = try word(i.baseName)
            i.platform = try optional(i.platform)
            return .from(i)
        case .env(var i), .label(var i):
            i.pairs = try i.pairs.map { KeyValuePair(key: try word($0.key), value: try word($0.value)) }
            if case .env = self { return .env(i) }
            return .label(i)
        case .user(var i), .workdir(var i), .stopSignal(var i):
            i.value = try word(i.value)
            switch self {
            case .user: return .user(i)
            case .workdir: return .workdir(i)
            default: return .stopSignal(i)
            }
        case .expose(var i):
            i.values = try i.values.flatMap { v -> [String] in
                do { return try shell.expandWords(v, env: env) } catch let e as ExpansionError {
                    throw DockerfileError(file: file, line: line, message: e.message)
                }
            }
            return .expose(i)
        case .volume(var i):
            i.values = try i.values.map(word)
            return .volume(i)
        case .add(var i):
            i.sources = try i.sources.map(word)
            i.destination = try word(i.destination)
            i.chown = try optional(i.chown)
            i.chmod = try optional(i.chmod)
            i.checksum = try optional(i.checksum)
            i.excludes = try i.excludes.map(word)
            return .add(i)
        case .copy(var i):
            i.sources = try i.sources.map(word)
            i.destination = try word(i.destination)
            i.from = try optional(i.from)
            i.chown = try optional(i.chown)
            i.chmod = try optional(i.chmod)
            i.excludes = try i.excludes.map(word)
            return .copy(i)
        case .arg(var i):
            i.definitions = try i.definitions.map {
                ArgDefinition(name: try word($0.name), defaultValue: try optional($0.defaultValue))
            }
            return .arg(i)
        case .run(var i):
            do {
                i.mounts = try i.mountSpecs.map { try RunMount.parse($0, expand: word) }
            } catch let e as InstructionError {
                throw DockerfileError(file: file, line: line, message: e.message)
            }
            return .run(i)
        case .cmd, .entrypoint, .maintainer, .onbuild, .healthcheck, .shell:
            return self
        }
    }
}

extension Heredoc {
    /// The body with variables expanded when the delimiter was not quoted
    /// (used for COPY/ADD heredocs; a RUN heredoc is expanded by its shell).
    public func expandedBody(env: [String: String]) throws -> String {
        guard expand else { return body }
        var shell = ShellWordExpander(escapeCharacter: "\\")
        shell.skipQuotes = true
        return try shell.expand(body, env: env)
    }
}
