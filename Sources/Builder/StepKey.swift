import Dockerfile

/// What of an expanded instruction goes into its cache key: its typed
/// fields, without the line it is on or its comments, so moving or
/// commenting an instruction keeps the cache.
enum StepKey {
    static func describe(_ instruction: Instruction) -> String {
        String(describing: normalized(instruction))
    }

    static func normalized(_ instruction: Instruction) -> Instruction {
        func clean(_ node: InstructionNode) -> InstructionNode {
            InstructionNode(name: node.name.lowercased(), flags: node.flags, arguments: node.arguments,
                            isJSON: node.isJSON, heredocs: node.heredocs)
        }
        switch instruction {
        case .from(var i): i.node = clean(i.node); return .from(i)
        case .run(var i): i.node = clean(i.node); return .run(i)
        case .cmd(var i): i.node = clean(i.node); return .cmd(i)
        case .entrypoint(var i): i.node = clean(i.node); return .entrypoint(i)
        case .label(var i): i.node = clean(i.node); return .label(i)
        case .env(var i): i.node = clean(i.node); return .env(i)
        case .maintainer(var i): i.node = clean(i.node); return .maintainer(i)
        case .user(var i): i.node = clean(i.node); return .user(i)
        case .workdir(var i): i.node = clean(i.node); return .workdir(i)
        case .stopSignal(var i): i.node = clean(i.node); return .stopSignal(i)
        case .expose(var i): i.node = clean(i.node); return .expose(i)
        case .volume(var i): i.node = clean(i.node); return .volume(i)
        case .add(var i): i.node = clean(i.node); return .add(i)
        case .copy(var i): i.node = clean(i.node); return .copy(i)
        case .arg(var i): i.node = clean(i.node); return .arg(i)
        case .onbuild(var i): i.node = clean(i.node); return .onbuild(i)
        case .healthcheck(var i): i.node = clean(i.node); return .healthcheck(i)
        case .shell(var i): i.node = clean(i.node); return .shell(i)
        }
    }
}
