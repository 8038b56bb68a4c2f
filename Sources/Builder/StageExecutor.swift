import Dockerfile
import Foundation
import OCI
import Store

extension ImageBuilder {
    func buildStage(_ planned: PlannedStage, position: Int, plan: BuildPlan, arguments: BuildArguments,
                    escape: Unicode.Scalar) throws -> StageState {
        let stage = planned.stage
        stepNumber += 1
        output.step(stepNumber, of: plan.stepCount, stage: position + 1, of: plan.stages.count,
                    text: oneLine(stage.from.node.original))
        let location = "\(context.dockerfileName):\(stage.from.node.startLine)"
        var state: StageState
        do {
            state = try baseState(planned.base)
        } catch let error as BuildError {
            throw error.located(location)
        }
        state.arguments = []
        output.result(state.imageID.shortHex)
        // The base image's ONBUILD triggers run first, as Docker does, and are not inherited.
        let triggers = state.container.onBuild ?? []
        if !triggers.isEmpty {
            state.container.onBuild = nil
            let parsed = try Dockerfile.parse("FROM scratch\n" + triggers.joined(separator: "\n"),
                                              file: "ONBUILD of \(stage.baseName)")
            for instruction in parsed.stages[0].instructions {
                try runStep(instruction, state: &state, plan: plan, arguments: arguments, escape: escape,
                            counted: false)
            }
        }
        for instruction in stage.instructions {
            try runStep(instruction, state: &state, plan: plan, arguments: arguments, escape: escape, counted: true)
        }
        return state
    }

    func baseState(_ base: StageBase) throws -> StageState {
        switch base {
        case .scratch:
            let image = ImageConfig(architecture: Platform.host.architecture, config: ContainerConfig(),
                                    rootfs: RootFS(diffIDs: []), history: [])
            let id = try storeConfig(image)
            return StageState(image: image, layers: [], key: .base(id), imageID: id)
        case .stage(let index):
            guard let state = finished[index] else { throw BuildError("stage \(index) was not built") }
            return state
        case .image(let reference):
            let id = try resolver.resolve(reference, pull: options.pull, output: output)
            let record = try store.resolveImage(id.description)
            let manifest = try store.manifest(of: record)
            let image = try store.config(of: id)
            return StageState(image: image, layers: manifest.layers, key: .base(id), imageID: id)
        }
    }

    func runStep(_ instruction: Instruction, state: inout StageState, plan: BuildPlan, arguments: BuildArguments,
                 escape: Unicode.Scalar, counted: Bool) throws {
        if counted {
            stepNumber += 1
            output.step(stepNumber, of: plan.stepCount, stage: 0, of: 1, text: oneLine(instruction.node.original))
        }
        let location = "\(context.dockerfileName):\(instruction.node.startLine)"
        do {
            try execute(instruction, state: &state, plan: plan, arguments: arguments, escape: escape,
                        location: location)
        } catch let error as BuildError {
            throw error.located(location)
        } catch let error as DockerfileError {
            throw BuildError(error.description)
        }
    }

    func execute(_ instruction: Instruction, state: inout StageState, plan: BuildPlan, arguments: BuildArguments,
                 escape: Unicode.Scalar, location: String) throws {
        let scope = state.expansionScope
        // RUN's command is the shell's to expand; its --mount values are expanded here.
        let expanded = try instruction.expanded(env: scope, escape: escape, file: context.dockerfileName)
        if case .arg(let arg) = expanded {
            for definition in arg.definitions {
                declaredArguments.insert(definition.name)
                state.declare(definition.name, arguments.value(for: definition, meta: plan.metaScope))
            }
        }
        var parts = [StepKey.describe(expanded)]
        var sourceTree: FileTree?
        var sources: [CopySource] = []
        switch expanded {
        case .arg:
            parts.append(CacheKey.argumentPrefix(state.runArguments))
        case .run(let run):
            parts += [CacheKey.argumentPrefix(state.runArguments), run.network ?? options.network ?? "default"]
            parts += try run.heredocs.map { try $0.expandedBody(env: scope) }
        case .copy(let copy):
            if copy.parents { throw BuildError("COPY --parents is not supported by hutch yet") }
            if !copy.excludes.isEmpty { throw BuildError("COPY --exclude is not supported by hutch yet") }
            sourceTree = try self.sourceTree(from: copy.from, state: state)
            var request = try copyRequest(expanded, state: state)!
            request.sources = copy.sources.filter { Self.heredoc(named: $0, in: copy.heredocs) == nil }
            if !request.sources.isEmpty { sources = try CopyOperation.matchSources(request, in: sourceTree!) }
            parts += try copy.heredocs.map { try $0.expandedBody(env: scope) }
            parts += [state.container.workingDir ?? "/",
                      try SourceChecksum.of(sources, in: sourceTree!, includeOwners: copy.from != nil).description]
        case .add(let add):
            if !add.excludes.isEmpty { throw BuildError("ADD --exclude is not supported by hutch yet") }
            if add.sources.contains(where: { $0.hasPrefix("git@") || $0.hasSuffix(".git") }) {
                throw BuildError("ADD of a git repository is not supported by hutch yet")
            }
            sourceTree = context.tree
            let local = add.sources.filter { !Self.isURL($0) }
            if !local.isEmpty {
                var request = try copyRequest(expanded, state: state)!
                request.sources = local
                sources = try CopyOperation.matchSources(request, in: sourceTree!)
            }
            parts += [state.container.workingDir ?? "/",
                      try SourceChecksum.of(sources, in: sourceTree!, includeOwners: false).description]
        default:
            break
        }
        let key = CacheKey.step(parent: state.key, parts)
        if let cached = cachedImage(key), let id = cache.lookup(key) {
            let added = cached.rootfs.diffIDs.dropFirst(state.image.rootfs.diffIDs.count)
            state.layers += added.map { layerDescriptor($0) }
            state.image = cached
            state.key = key
            state.imageID = id
            output.usingCache(id.shortHex)
            return
        }

        var emptyLayer = true
        let shellBefore = state.container.shell
        switch expanded {
        case .run(let run):
            try executeRun(run, state: &state, location: location)
            emptyLayer = false
        case .copy, .add:
            let request = try copyRequest(expanded, state: state)!
            emptyLayer = false
            try withScratch(state: &state) { writer in
                var request = request
                if let chown = Self.chownText(expanded) { request.chown = try ChownSpec.resolve(chown, in: writer.view) }
                if case .add(let add) = expanded {
                    if add.checksum != nil, add.sources.contains(where: { !Self.isURL($0) }) {
                        throw BuildError("checksum can't be specified for non-HTTP(S) sources")
                    }
                    for url in add.sources where Self.isURL(url) {
                        try URLSource.add(url, to: add.destination, workdir: request.workdir, checksum: add.checksum,
                                          chown: request.chown, chmod: request.chmod, writer: writer)
                    }
                    if sources.isEmpty { try writer.finish(); return }
                }
                if case .copy(let copy) = expanded {
                    try writeHeredocs(copy, request: request, scope: scope, writer: writer)
                    if sources.isEmpty { try writer.finish(); return }
                }
                try CopyOperation.perform(request, sources: sources, from: sourceTree!, into: writer)
            }
        case .workdir(let workdir):
            try applyMetadata(expanded, to: &state)
            let path = state.container.workingDir ?? ConfigAssembler.resolveWorkdir(workdir.value, from: nil)
            let view = LayerView(layers: layerDirectories(state))
            if try view.entry(at: path, followFinal: true) == nil {
                emptyLayer = false
                try withScratch(state: &state) { writer in
                    try writer.ensureDirectory(TreePath.components(try writer.view.resolve(path, followFinal: true)),
                                               newOwner: .root)
                    try writer.finish()
                }
            }
        default:
            try applyMetadata(expanded, to: &state)
        }
        let now = formatRFC3339(Date())
        state.image.created = now
        var history = state.image.history ?? []
        history.append(HistoryEntry(created: now, createdBy: ConfigAssembler.historyText(expanded, shell: shellBefore),
                                    comment: "hutch build", emptyLayer: emptyLayer ? true : nil))
        state.image.history = history
        state.key = key
        state.imageID = try storeConfig(state.image)
        try cache.record(key, image: state.imageID)
        output.result(state.imageID.shortHex)
    }

    func applyMetadata(_ instruction: Instruction, to state: inout StageState) throws {
        var container = state.container
        var author = state.image.author
        try ConfigAssembler.apply(instruction, to: &container, author: &author)
        state.container = container
        state.image.author = author
    }

    /// Runs `body` with a writer over a fresh upper directory, then commits it as a layer.
    func withScratch(state: inout StageState, _ body: (LayerWriter) throws -> Void) throws {
        let scratch = try workspace.makeScratch()
        defer { scratch.release() }
        let writer = LayerWriter(view: LayerView(layers: [scratch.upper] + layerDirectories(state)))
        try body(writer)
        try commit(scratch.upper, state: &state)
    }

    func sourceTree(from: String?, state: StageState) throws -> FileTree {
        guard let from else { return context.tree }
        if let dockerfile, let index = BuildPlan.earlierStage(from, before: Int.max, in: dockerfile, byIndex: true),
           let other = finished[index] {
            return LayerView(layers: layerDirectories(other))
        }
        let id = try resolver.resolve(from, pull: options.pull, output: output)
        let image = try store.config(of: id)
        return LayerView(layers: image.rootfs.diffIDs.reversed().map { store.layers.path(for: $0) })
    }

    func copyRequest(_ instruction: Instruction, state: StageState) throws -> CopyRequest? {
        let workdir = state.container.workingDir ?? "/"
        switch instruction {
        case .copy(let copy):
            return CopyRequest(instruction: "COPY", sources: copy.sources, destination: copy.destination,
                               workdir: workdir, chmod: try copy.chmod.map(ChownSpec.mode),
                               extractArchives: false, fromContext: copy.from == nil)
        case .add(let add):
            return CopyRequest(instruction: "ADD", sources: add.sources, destination: add.destination,
                               workdir: workdir, chmod: try add.chmod.map(ChownSpec.mode),
                               extractArchives: true, fromContext: true)
        default:
            return nil
        }
    }

    /// `COPY <<EOF /path`: the heredoc a source names, if it is one.
    static func heredoc(named source: String, in heredocs: [Heredoc]) -> Heredoc? {
        guard source.hasPrefix("<<") else { return nil }
        var name = String(source.dropFirst(2))
        if name.hasPrefix("-") { name.removeFirst() }
        name = name.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        return heredocs.first { $0.name == name }
    }

    func writeHeredocs(_ copy: CopyInstruction, request: CopyRequest, scope: [String: String],
                       writer: LayerWriter) throws {
        let docs = copy.sources.compactMap { Self.heredoc(named: $0, in: copy.heredocs) }
        guard !docs.isEmpty else { return }
        let dest = request.destination
        let absolute = dest.hasPrefix("/") ? dest : request.workdir + "/" + dest
        let target = TreePath.components(try writer.view.resolve(absolute, followFinal: true))
        let existing = try writer.view.entry(at: TreePath.join(target), followFinal: true)
        let isDirectory = dest.hasSuffix("/") || copy.sources.count > 1 || existing?.kind == .directory
        for doc in docs {
            let body = try doc.expandedBody(env: scope)
            try writer.writeFile(isDirectory ? target + [doc.name] : target, bytes: Array(body.utf8),
                                 mode: request.chmod ?? 0o644, owner: request.chown ?? .root, mtime: nil)
        }
    }

    static func chownText(_ instruction: Instruction) -> String? {
        switch instruction {
        case .copy(let c): return c.chown
        case .add(let a): return a.chown
        default: return nil
        }
    }

    static func isURL(_ source: String) -> Bool {
        source.hasPrefix("http://") || source.hasPrefix("https://")
    }

    func oneLine(_ text: String) -> String {
        text.split(whereSeparator: { $0 == "\n" }).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0 != "\\" }.joined(separator: " ")
    }
}
