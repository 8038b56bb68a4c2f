import Dockerfile
import OCI

/// A stage as it is being built: the image so far (config and layers),
/// its cache key, and the ARGs in scope (which are not in the image).
public struct StageState {
    public var image: ImageConfig
    /// The manifest descriptor of each layer, in rootfs order.
    public var layers: [Descriptor]
    public var key: CacheKey
    /// The ID (config digest) of the image so far, once a step stored it.
    public var imageID: Digest
    /// Declared ARGs and their values, in declaration order.
    public var arguments: [(name: String, value: String)] = []

    public var container: ContainerConfig {
        get { image.config ?? ContainerConfig() }
        set { image.config = newValue }
    }

    /// What instructions expand with: ARGs, then ENV over them (Docker: ENV wins).
    public var expansionScope: [String: String] {
        var scope: [String: String] = [:]
        for (name, value) in arguments { scope[name] = value }
        for (name, value) in ConfigAssembler.environment(container) { scope[name] = value }
        return scope
    }

    /// The ARGs a RUN sees in its environment (and its cache key), proxy
    /// variables included only when given.
    public var runArguments: [(String, String)] {
        arguments.map { ($0.name, $0.value) }
    }

    public mutating func declare(_ name: String, _ value: String?) {
        arguments.removeAll { $0.name == name }
        if let value { arguments.append((name, value)) }
    }
}
