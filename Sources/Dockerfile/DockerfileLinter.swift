/// The build checks Docker prints as warnings (`docker build --check`),
/// the ones that need no image or context: each names Docker's rule.
public enum DockerfileLinter {
    public static func warnings(for dockerfile: Dockerfile) -> [DockerfileWarning] {
        var result = dockerfile.syntax.warnings
        let file = dockerfile.file
        func warn(_ line: Int, _ rule: String, _ message: String) {
            result.append(DockerfileWarning(file: file, line: line, rule: rule, message: message))
        }

        // Casing: the majority of instruction names decides.
        let names = dockerfile.syntax.instructions.map(\.name)
        let upper = names.filter { $0 == $0.uppercased() }.count
        let lower = names.filter { $0 == $0.lowercased() }.count
        let majorityUpper = upper >= lower
        for node in dockerfile.syntax.instructions {
            let expected = majorityUpper ? node.name.uppercased() : node.name.lowercased()
            if node.name != expected {
                warn(node.startLine, "ConsistentInstructionCasing",
                     "Command '\(node.name)' should match the case of the command majority (\(majorityUpper ? "uppercase" : "lowercase"))")
            }
        }

        for stage in dockerfile.stages {
            let from = stage.from
            let args = from.node.arguments
            if args.count == 3 {
                if args[2] != args[2].lowercased() {
                    warn(from.node.startLine, "StageNameCasing", "Stage name '\(args[2])' should be lowercase")
                }
                let fromUpper = from.node.name == from.node.name.uppercased()
                let asUpper = args[1] == args[1].uppercased()
                if fromUpper != asUpper {
                    warn(from.node.startLine, "FromAsCasing", "'\(args[1])' and '\(from.node.name)' keywords' casing do not match")
                }
            }
            if let platform = from.platform, !platform.contains("$") {
                warn(from.node.startLine, "FromPlatformFlagConstDisallowed",
                     "FROM --platform flag should not use constant value \"\(platform)\"")
            }
            var seen: [String: Int] = [:]
            var absoluteWorkdir = false
            for instruction in stage.instructions {
                let node = instruction.node
                switch instruction {
                case .maintainer:
                    warn(node.startLine, "MaintainerDeprecated", "Maintainer instruction is deprecated in favor of using label")
                case .cmd(let c), .entrypoint(let c):
                    if c.command.prependShell {
                        warn(node.startLine, "JSONArgsRecommended",
                             "JSON arguments recommended for \(node.keyword) to prevent unintended behavior related to OS signals")
                    }
                case .env(let kv), .label(let kv):
                    if kv.legacyForm {
                        warn(node.startLine, "LegacyKeyValueFormat",
                             "\"\(node.keyword) key=value\" should be used instead of legacy \"\(node.keyword) key value\" format")
                    }
                case .workdir(let w):
                    if w.value.hasPrefix("/") || w.value.hasPrefix("$") {
                        absoluteWorkdir = true
                    } else if !absoluteWorkdir {
                        warn(node.startLine, "WorkdirRelativePath",
                             "Relative workdir \"\(w.value)\" can have unexpected results if the base image changes")
                    }
                case .onbuild(let o):
                    if !Instruction.names.contains(o.triggerName) {
                        warn(node.startLine, "UnknownInstruction", "ONBUILD trigger \(o.triggerName) is not an instruction")
                    }
                default: break
                }
                let key = node.keyword
                if ["CMD", "ENTRYPOINT", "HEALTHCHECK"].contains(key) {
                    if let first = seen[key] {
                        warn(node.startLine, "MultipleInstructionsDisallowed",
                             "Multiple \(key) instructions should not be used in the same stage because only the last one will be used (first on line \(first))")
                    } else {
                        seen[key] = node.startLine
                    }
                }
            }
        }
        return result.sorted { $0.line < $1.line }
    }
}
