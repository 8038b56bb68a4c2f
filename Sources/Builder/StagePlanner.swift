import Dockerfile

/// Where a stage starts from.
public enum StageBase: Equatable {
    case scratch
    case stage(Int)
    case image(String)
}

/// One stage the build will run, in the order it runs.
public struct PlannedStage: Equatable {
    public var stage: Stage
    public var base: StageBase
    public var platform: String?
}

/// The stages a build needs: the target (`--target`, else the last) and
/// what it depends on through FROM, COPY --from and RUN --mount from=,
/// in file order; the others are skipped, as BuildKit does.
public struct BuildPlan: Equatable {
    public var stages: [PlannedStage]
    /// The values FROM lines were expanded with (meta ARGs and platform).
    public var metaScope: [String: String]

    /// Steps the output counts: every instruction of every stage built, FROM included.
    public var stepCount: Int { stages.reduce(0) { $0 + 1 + $1.stage.instructions.count } }

    public static func make(_ dockerfile: Dockerfile, target: String?, arguments: BuildArguments) throws -> BuildPlan {
        let file = dockerfile.file
        let meta = try arguments.metaScope(dockerfile.metaArgs, file: file)
        var targetIndex = dockerfile.stages.count - 1
        if let target {
            guard let stage = dockerfile.stages.first(where: { $0.name == target.lowercased() }) else {
                throw BuildError("failed to reach build target \(target) in Dockerfile", exitCode: 1)
            }
            targetIndex = stage.index
        }
        // Each stage's base and the stages it reads, resolved in file order.
        var bases: [StageBase] = []
        var platforms: [String?] = []
        var dependencies: [Set<Int>] = []
        for stage in dockerfile.stages {
            let location = "\(file):\(stage.from.node.startLine)"
            guard case .from(let from) = try Instruction.from(stage.from).expanded(env: meta, file: file) else {
                fatalError("expanding FROM gives FROM")
            }
            let baseName = from.baseName
            if baseName.isEmpty { throw BuildError("base name (\(stage.from.baseName)) should not be blank", at: location) }
            var deps = Set<Int>()
            let base: StageBase
            if baseName.lowercased() == "scratch" {
                base = .scratch
            } else if let earlier = earlierStage(baseName, before: stage.index, in: dockerfile, byIndex: false) {
                base = .stage(earlier); deps.insert(earlier)
            } else {
                base = .image(baseName)
            }
            for instruction in stage.instructions {
                for reference in stageReferences(instruction) {
                    if let earlier = earlierStage(reference, before: stage.index, in: dockerfile, byIndex: true) {
                        deps.insert(earlier)
                    } else if dockerfile.stage(named: reference).map({ $0.index >= stage.index }) == true {
                        throw BuildError("stage \"\(reference)\" is used before it is defined (circular dependency?)",
                                         at: "\(file):\(instruction.node.startLine)")
                    }
                }
            }
            bases.append(base); platforms.append(from.platform); dependencies.append(deps)
        }
        var needed = Set<Int>()
        var pending = [targetIndex]
        while let index = pending.popLast() {
            guard needed.insert(index).inserted else { continue }
            pending += dependencies[index]
        }
        let stages = dockerfile.stages.filter { needed.contains($0.index) }.map {
            PlannedStage(stage: $0, base: bases[$0.index], platform: platforms[$0.index])
        }
        return BuildPlan(stages: stages, metaScope: meta)
    }

    /// A stage named (or, for --from, numbered) `reference` defined before `index`.
    static func earlierStage(_ reference: String, before index: Int, in dockerfile: Dockerfile, byIndex: Bool) -> Int? {
        let lower = reference.lowercased()
        if let stage = dockerfile.stages.first(where: { $0.name == lower }), stage.index < index { return stage.index }
        if byIndex, let n = Int(reference), String(n) == reference, n >= 0, n < index { return n }
        return nil
    }

    /// The stages (or images) an instruction reads from.
    static func stageReferences(_ instruction: Instruction) -> [String] {
        switch instruction {
        case .copy(let copy): return copy.from.map { [$0] } ?? []
        case .run(let run): return run.mounts.compactMap(\.from)
        default: return []
        }
    }
}
