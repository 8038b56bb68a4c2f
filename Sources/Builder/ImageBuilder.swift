import Dockerfile
import Foundation
import OCI
import Store

/// Runs a Dockerfile's stages on the store: each instruction a step, each
/// step's result an untagged intermediate image recorded in the build
/// cache, the final one tagged at the very end (so a killed build leaves
/// nothing half-built tagged).
public final class ImageBuilder {
    public let store: Store
    public let context: BuildContext
    public let options: BuildOptions
    public let output: BuildOutput
    let cache: BuildCache
    let workspace: BuildWorkspace
    var runner: RunStepExecuting?
    var resolver: BaseImageResolving
    /// Finished stages by index, for FROM <stage>, COPY --from and RUN --mount from=.
    var finished: [Int: StageState] = [:]
    var stepNumber = 0
    var dockerfile: Dockerfile?
    var declaredArguments = Set<String>()

    public init(store: Store, context: BuildContext, options: BuildOptions, output: BuildOutput,
                runner: RunStepExecuting?, resolver: BaseImageResolving) throws {
        self.store = store
        self.context = context
        self.options = options
        self.output = output
        self.cache = BuildCache(directory: store.root + "/build-cache")
        self.workspace = try BuildWorkspace(directory: store.root + "/build")
        self.runner = runner
        self.resolver = resolver
    }

    /// Builds, tags, and returns the image ID.
    public func build() throws -> Digest {
        let dockerfile: Dockerfile
        do {
            dockerfile = try Dockerfile.parse(context.dockerfileText, file: context.dockerfileName)
        } catch {
            throw BuildError("\(error)")
        }
        self.dockerfile = dockerfile
        let arguments = BuildArguments(options.buildArgs, environment: options.environment)
        let plan = try BuildPlan.make(dockerfile, target: options.target, arguments: arguments)
        var last: StageState?
        for (position, planned) in plan.stages.enumerated() {
            let state = try buildStage(planned, position: position, plan: plan, arguments: arguments,
                                       escape: dockerfile.escapeCharacter)
            finished[planned.stage.index] = state
            last = state
        }
        guard var final = last else { throw BuildError("no stage to build") }
        let unconsumed = arguments.unconsumed(declared: declaredArguments.union(plan.metaScope.keys))
        if !unconsumed.isEmpty {
            output.warning("One or more build-args [\(unconsumed.joined(separator: " "))] were not consumed")
        }
        if !options.labels.isEmpty {
            var labels = final.container.labels ?? [:]
            for label in options.labels {
                let parts = label.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                labels[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            final.container.labels = labels
            final.imageID = try storeConfig(final.image)
        }
        let tags = try options.tags.map { tag -> Reference in
            do { return try Reference(parsing: tag).withDefaultTag() } catch {
                throw BuildError("invalid argument \"\(tag)\" for \"-t, --tag\" flag: \(error)", exitCode: 125)
            }
        }
        let id = try tagImage(final, tags: tags)
        if let iidfile = options.iidfile {
            try Data(id.description.utf8).write(to: URL(fileURLWithPath: iidfile), options: .atomic)
        }
        output.finished(imageID: id, tags: tags.map(\.familiarString))
        return id
    }

    /// The manifest of the final image, written once everything it needs
    /// is stored; images.json changes in one atomic update.
    func tagImage(_ state: StageState, tags: [Reference]) throws -> Digest {
        let configData = try state.image.encoded()
        let configDigest = try store.blobs.put(configData)
        let manifest = ImageManifest(
            config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: Int64(configData.count)),
            layers: state.layers)
        try store.addImage(manifest: manifest, tags: tags)
        return configDigest
    }

    func storeConfig(_ image: ImageConfig) throws -> Digest {
        try store.blobs.put(try image.encoded())
    }

    /// The layer folders of a stage, top first, as overlay's lowerdir lists them.
    func layerDirectories(_ state: StageState) -> [String] {
        state.image.rootfs.diffIDs.reversed().map { store.layers.path(for: $0) }
    }

    /// Whether a cached intermediate image can still be used: its config
    /// and every layer are stored.
    func cachedImage(_ key: CacheKey) -> ImageConfig? {
        guard !options.noCache, let id = cache.lookup(key), store.blobs.contains(id),
              let image = try? store.config(of: id),
              image.rootfs.diffIDs.allSatisfy(store.layers.contains) else { return nil }
        return image
    }
}
