/// A parsed Dockerfile: the ARGs before the first FROM and the build stages.
/// `Dockerfile.parse` is the one entry point the builder and `hutch build --check` use.
public struct Dockerfile: Equatable, Sendable {
    /// The name used in messages (`Dockerfile`, `docker/app.Dockerfile`).
    public var file: String
    public var syntax: DockerfileSyntax
    /// ARG instructions before the first FROM: only FROM lines may use them.
    public var metaArgs: [ArgInstruction]
    public var stages: [Stage]

    public var escapeCharacter: Unicode.Scalar { syntax.escapeCharacter }
    /// Every instruction in file order (meta ARGs and FROMs included).
    public var instructions: [Instruction] {
        var all: [Instruction] = metaArgs.map { .arg($0) }
        for stage in stages { all.append(.from(stage.from)); all += stage.instructions }
        return all.sorted { $0.node.startLine < $1.node.startLine }
    }

    /// Parses and types `text`; errors name `file` and the line.
    public static func parse(_ text: String, file: String = "Dockerfile") throws -> Dockerfile {
        try build(DockerfileParser.parse(text, file: file), file: file)
    }

    public static func parse(bytes: [UInt8], file: String = "Dockerfile") throws -> Dockerfile {
        try parse(String(decoding: bytes, as: UTF8.self), file: file)
    }

    static func build(_ syntax: DockerfileSyntax, file: String) throws -> Dockerfile {
        var metaArgs: [ArgInstruction] = []
        var stages: [Stage] = []
        var names: [String: Int] = [:]
        for node in syntax.instructions {
            let instruction: Instruction
            do {
                instruction = try InstructionTyper.type(node)
            } catch let e as InstructionError {
                throw DockerfileError(file: file, line: node.startLine, message: e.message)
            }
            switch instruction {
            case .from(let from):
                if let name = from.stageName {
                    if let earlier = names[name] {
                        throw DockerfileError(file: file, line: node.startLine,
                                              message: "duplicate stage name \"\(name)\" (first used on line \(earlier))")
                    }
                    names[name] = node.startLine
                }
                stages.append(Stage(index: stages.count, from: from, instructions: []))
            case .arg(let arg) where stages.isEmpty:
                metaArgs.append(arg)
            default:
                guard !stages.isEmpty else {
                    throw DockerfileError(file: file, line: node.startLine,
                                          message: "\(node.keyword) before the first FROM: only ARG may come before FROM (no build stage in current context)")
                }
                stages[stages.count - 1].instructions.append(instruction)
            }
        }
        guard !stages.isEmpty else {
            throw DockerfileError(file: file, line: 0, message: "no FROM instruction: a Dockerfile needs at least one build stage")
        }
        return Dockerfile(file: file, syntax: syntax, metaArgs: metaArgs, stages: stages)
    }

    /// The stage `--target` or `COPY --from` names: by name (case-insensitive)
    /// or by index.
    public func stage(named reference: String) -> Stage? {
        let lower = reference.lowercased()
        if let s = stages.first(where: { $0.name == lower }) { return s }
        if let i = Int(reference), i >= 0, i < stages.count, String(i) == reference { return stages[i] }
        return nil
    }
}

/// One build stage: FROM and the instructions up to the next FROM.
public struct Stage: Equatable, Sendable {
    /// 0-based position, usable as `COPY --from=0`.
    public var index: Int
    public var from: FromInstruction
    public var instructions: [Instruction]

    /// `AS name`, lowercased; nil when unnamed.
    public var name: String? { from.stageName }
    /// As written; may need meta-ARG expansion (`expandedBaseName`).
    public var baseName: String { from.baseName }
    public var platform: String? { from.platform }
}
