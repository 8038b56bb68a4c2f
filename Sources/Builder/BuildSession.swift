import Foundation
import OCI
import Registry
import Store

/// The one call `hutch build` makes: loads the context, wires the store,
/// registry and sandbox into an `ImageBuilder`, builds and tags.
public enum BuildSession {
    public static func run(context: String, file: String?, options: BuildOptions, store: Store,
                           config: HutchConfig, runner: RunStepExecuting?) throws -> Digest {
        let loaded = try BuildContext.load(context: context, file: file)
        let output = BuildOutput(quiet: options.quiet)
        let builder = try ImageBuilder(store: store, context: loaded, options: options, output: output,
                                       runner: runner ?? SandboxRunner.default(store: store, config: config),
                                       resolver: StoreImageResolver(store: store, config: config))
        return try builder.build()
    }
}
