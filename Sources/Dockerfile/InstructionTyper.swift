/// Turns parser nodes into typed instructions, checking flags and argument
/// counts with Docker's messages (buildkit frontend/dockerfile/instructions/parse.go).
enum InstructionTyper {
    static func type(_ node: InstructionNode) throws -> Instruction {
        let args = node.arguments
        let keyword = node.keyword
        switch keyword {
        case "FROM":
            var flags = InstructionFlags(["platform": .string])
            try flags.parse(node.flags)
            var stageName: String?
            if args.count == 3 && args[1].lowercased() == "as" {
                let name = args[2].lowercased()
                guard isValidStageName(name) else {
                    throw InstructionError("invalid name for build stage: \"\(args[2])\", name can't start with a number or contain symbols")
                }
                stageName = name
            } else if args.count != 1 {
                throw InstructionError("FROM requires either one or three arguments")
            }
            return .from(FromInstruction(node: node, baseName: args[0], stageName: stageName, platform: flags.string("platform")))

        case "RUN":
            var flags = InstructionFlags(["mount": .strings, "network": .string, "security": .string])
            try flags.parse(node.flags)
            if let network = flags.string("network"), !["none", "host", "default"].contains(network) {
                throw InstructionError("unsupported network mode \"\(network)\" (use none, host or default)")
            }
            if let security = flags.string("security"), !["sandbox", "insecure"].contains(security) {
                throw InstructionError("unsupported security mode \"\(security)\" (use sandbox or insecure)")
            }
            let specs = flags.list("mount")
            let mounts = try specs.map { try RunMount.parse($0, expand: nil) }
            return .run(RunInstruction(node: node, command: commandLine(node), mountSpecs: specs, mounts: mounts,
                                       network: flags.string("network"), security: flags.string("security")))

        case "CMD", "ENTRYPOINT":
            try noFlags(node)
            let c = CommandInstruction(node: node, command: commandLine(node))
            return keyword == "CMD" ? .cmd(c) : .entrypoint(c)

        case "ENV", "LABEL":
            try noFlags(node)
            guard !args.isEmpty else { throw InstructionError("\(keyword) requires at least one argument") }
            guard args.count % 2 == 0 else { throw InstructionError("Bad input to \(keyword), too many arguments") }
            var pairs: [KeyValuePair] = []
            for i in stride(from: 0, to: args.count, by: 2) {
                guard !args[i].isEmpty else { throw InstructionError("\(keyword) names can not be blank") }
                pairs.append(KeyValuePair(key: args[i], value: args[i + 1]))
            }
            let rest = ArgumentSplitter.splitCommand(node.original).rest
            let legacy = !(ArgumentSplitter.words(rest, escape: "\\").first?.contains("=") ?? true)
            let kv = KeyValueInstruction(node: node, pairs: pairs, legacyForm: legacy)
            return keyword == "ENV" ? .env(kv) : .label(kv)

        case "MAINTAINER", "USER", "WORKDIR", "STOPSIGNAL":
            try noFlags(node)
            guard args.count == 1 else { throw InstructionError("\(keyword) requires exactly one argument") }
            let v = SingleValueInstruction(node: node, value: args[0])
            switch keyword {
            case "MAINTAINER": return .maintainer(v)
            case "USER": return .user(v)
            case "WORKDIR": return .workdir(v)
            default: return .stopSignal(v)
            }

        case "EXPOSE":
            try noFlags(node)
            guard !args.isEmpty else { throw InstructionError("EXPOSE requires at least one argument") }
            return .expose(ListInstruction(node: node, values: args))

        case "VOLUME":
            try noFlags(node)
            guard !args.isEmpty else { throw InstructionError("VOLUME requires at least one argument") }
            var volumes: [String] = []
            for v in args {
                let trimmed = String(ArgumentSplitter.trimSpace(Substring(v)))
                guard !trimmed.isEmpty else { throw InstructionError("VOLUME specified can not be an empty string") }
                volumes.append(trimmed)
            }
            return .volume(ListInstruction(node: node, values: volumes))

        case "ADD":
            var flags = InstructionFlags(["chown": .string, "chmod": .string, "checksum": .string, "link": .bool,
                                          "keep-git-dir": .bool, "exclude": .strings, "unpack": .bool])
            try flags.parse(node.flags)
            guard args.count >= 2 else { throw noDestination("ADD") }
            return .add(AddInstruction(node: node, sources: Array(args.dropLast()), destination: args.last!,
                                       chown: flags.string("chown"), chmod: flags.string("chmod"),
                                       checksum: flags.string("checksum"), link: flags.bool("link"),
                                       keepGitDir: flags.bool("keep-git-dir"), excludes: flags.list("exclude")))

        case "COPY":
            var flags = InstructionFlags(["chown": .string, "chmod": .string, "from": .string, "link": .bool,
                                          "parents": .bool, "exclude": .strings])
            try flags.parse(node.flags)
            guard args.count >= 2 else { throw noDestination("COPY") }
            return .copy(CopyInstruction(node: node, sources: Array(args.dropLast()), destination: args.last!,
                                         from: flags.string("from"), chown: flags.string("chown"),
                                         chmod: flags.string("chmod"), link: flags.bool("link"),
                                         parents: flags.bool("parents"), excludes: flags.list("exclude")))

        case "ARG":
            try noFlags(node)
            guard !args.isEmpty else { throw InstructionError("ARG requires at least one argument") }
            let definitions = try args.map { arg -> ArgDefinition in
                guard let eq = arg.firstIndex(of: "=") else { return ArgDefinition(name: arg, defaultValue: nil) }
                guard eq != arg.startIndex else { throw InstructionError("ARG names can not be blank") }
                return ArgDefinition(name: String(arg[..<eq]), defaultValue: String(arg[arg.index(after: eq)...]))
            }
            return .arg(ArgInstruction(node: node, definitions: definitions))

        case "ONBUILD":
            try noFlags(node)
            guard let trigger = node.trigger?.value else { throw InstructionError("ONBUILD requires at least one argument") }
            let name = trigger.keyword
            switch name {
            case "ONBUILD": throw InstructionError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
            case "MAINTAINER", "FROM": throw InstructionError("\(name) isn't allowed as an ONBUILD trigger")
            default: break
            }
            let expression = String(dropKeyword(node.original))
            return .onbuild(OnbuildInstruction(node: node, expression: expression, triggerName: name))

        case "HEALTHCHECK":
            return .healthcheck(try healthcheck(node))

        case "SHELL":
            try noFlags(node)
            guard !args.isEmpty else { throw InstructionError("SHELL requires at least one argument") }
            guard node.isJSON else {
                throw InstructionError("SHELL requires the arguments to be in JSON form, such as SHELL [\"/bin/sh\", \"-c\"]")
            }
            return .shell(ShellInstruction(node: node, shell: args))

        default:
            var message = "unknown instruction: \(keyword)"
            if let close = Suggestion.closest(to: keyword, in: Instruction.names) { message += " (did you mean \(close)?)" }
            throw InstructionError(message)
        }
    }

    static func isValidStageName(_ name: String) -> Bool {
        let s = Array(name.unicodeScalars)
        guard let first = s.first, ("a"..."z").contains(first) else { return false }
        return s.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "." }
    }

    static func commandLine(_ node: InstructionNode) -> CommandLine {
        CommandLine(arguments: node.arguments, prependShell: !node.isJSON)
    }

    static func noFlags(_ node: InstructionNode) throws {
        var none = InstructionFlags([:])
        try none.parse(node.flags)
    }

    static func noDestination(_ name: String) -> InstructionError {
        InstructionError("\(name) requires at least two arguments, but only one was provided. Destination could not be determined.")
    }

    /// The text after the first word (ONBUILD's trigger as written).
    static func dropKeyword(_ line: String) -> Substring {
        let s = ArgumentSplitter.trimSpace(Substring(line)).unicodeScalars
        let end = s.firstIndex(where: isShellSpace) ?? s.endIndex
        return Substring(s[end...].drop(while: isShellSpace))
    }

    static func healthcheck(_ node: InstructionNode) throws -> HealthcheckInstruction {
        guard let kind = node.arguments.first?.uppercased() else {
            throw InstructionError("HEALTHCHECK requires at least one argument")
        }
        let rest = Array(node.arguments.dropFirst())
        var result = HealthcheckInstruction(node: node, test: ["NONE"], interval: 0, timeout: 0,
                                            startPeriod: 0, startInterval: 0, retries: 0)
        if kind == "NONE" {
            guard rest.isEmpty else { throw InstructionError("HEALTHCHECK NONE takes no arguments") }
            return result
        }
        var flags = InstructionFlags(["interval": .string, "timeout": .string, "start-period": .string,
                                      "start-interval": .string, "retries": .string])
        try flags.parse(node.flags)
        guard kind == "CMD" else { throw InstructionError("Unknown type \"\(kind)\" in HEALTHCHECK (try CMD)") }
        guard !rest.isEmpty else { throw InstructionError("Missing command after HEALTHCHECK CMD") }
        result.test = [node.isJSON ? "CMD" : "CMD-SHELL"] + rest
        func interval(_ name: String) throws -> Int64 {
            guard let text = flags.string(name), !text.isEmpty else { return 0 }
            let d: Int64
            do { d = try GoDuration.parse(text) } catch let e as InstructionError {
                throw InstructionError("--\(name): \(e.message)")
            }
            if d < 1_000_000 { throw InstructionError("Interval \"\(name)\" cannot be less than 1ms") }
            return d
        }
        result.interval = try interval("interval")
        result.timeout = try interval("timeout")
        result.startPeriod = try interval("start-period")
        result.startInterval = try interval("start-interval")
        if let text = flags.string("retries"), !text.isEmpty {
            guard let retries = Int32(text) else {
                throw InstructionError("--retries: invalid number \"\(text)\"")
            }
            guard retries >= 1 else { throw InstructionError("--retries must be at least 1 (not \(retries))") }
            result.retries = Int(retries)
        }
        return result
    }
}

/// Go's time.ParseDuration ("1m30s", "1.5h", "300ms"), in nanoseconds.
enum GoDuration {
    static func parse(_ text: String) throws -> Int64 {
        let bad = InstructionError("time: invalid duration \"\(text)\"")
        var s = Substring(text)
        var negative = false
        if s.first == "-" || s.first == "+" { negative = s.first == "-"; s = s.dropFirst() }
        if s == "0" { return 0 }
        guard !s.isEmpty else { throw bad }
        var total: Double = 0
        while !s.isEmpty {
            let number = s.prefix(while: { $0.isASCII && ($0.isNumber || $0 == ".") })
            guard !number.isEmpty, number != ".", let value = Double(number) else { throw bad }
            s = s.dropFirst(number.count)
            let unit = s.prefix(while: { !($0.isASCII && ($0.isNumber || $0 == ".")) })
            s = s.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1
            case "us", "µs", "μs": scale = 1e3
            case "ms": scale = 1e6
            case "s": scale = 1e9
            case "m": scale = 60e9
            case "h": scale = 3600e9
            case "": throw InstructionError("time: missing unit in duration \"\(text)\"")
            default: throw InstructionError("time: unknown unit \"\(unit)\" in duration \"\(text)\"")
            }
            total += value * scale
            guard total < 9.2e18 else { throw bad }
        }
        return Int64(negative ? -total : total)
    }
}
