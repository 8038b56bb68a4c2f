import Dockerfile

/// The ARG values a build sees, scoped as Docker scopes them: meta ARGs
/// (before the first FROM) only in FROM lines, a stage's ARGs from their
/// declaration on, `--build-arg` overriding defaults, the proxy variables
/// usable undeclared, the platform ones automatic in FROM lines.
public struct BuildArguments {
    /// `--build-arg NAME=value`; a bare `NAME` takes the caller's environment.
    public var given: [String: String]
    public var platform: Platform

    public static let proxyNames: Set<String> = [
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
        "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
    ]

    public struct Platform: Equatable {
        public var os: String
        public var architecture: String
        public var variant: String?
        public var string: String { variant.map { "\(os)/\(architecture)/\($0)" } ?? "\(os)/\(architecture)" }
        public static var host: Platform {
            #if arch(x86_64)
            return Platform(os: "linux", architecture: "amd64")
            #elseif arch(arm64)
            return Platform(os: "linux", architecture: "arm64", variant: "v8")
            #else
            return Platform(os: "linux", architecture: "unknown")
            #endif
        }
    }

    /// Parses `--build-arg` values; NAME alone reads the environment (and
    /// is dropped when the environment has no such variable, as Docker does).
    public init(_ arguments: [String], environment: [String: String], platform: Platform = .host) {
        var given: [String: String] = [:]
        for argument in arguments {
            if let eq = argument.firstIndex(of: "=") {
                given[String(argument[..<eq])] = String(argument[argument.index(after: eq)...])
            } else if let value = environment[argument] {
                given[argument] = value
            }
        }
        self.given = given
        self.platform = platform
    }

    public init(given: [String: String] = [:], platform: Platform = .host) {
        self.given = given; self.platform = platform
    }

    var automatic: [String: String] {
        let p = platform
        return ["TARGETPLATFORM": p.string, "TARGETOS": p.os, "TARGETARCH": p.architecture,
                "TARGETVARIANT": p.variant ?? "", "BUILDPLATFORM": p.string, "BUILDOS": p.os,
                "BUILDARCH": p.architecture, "BUILDVARIANT": p.variant ?? ""]
    }

    /// The values FROM lines expand with: the automatic platform args and
    /// the meta ARGs, each default expanded with the ones before it.
    public func metaScope(_ metaArgs: [ArgInstruction], file: String) throws -> [String: String] {
        var scope = automatic
        for instruction in metaArgs {
            guard case .arg(let expanded) = try Instruction.arg(instruction).expanded(env: scope, file: file) else { continue }
            for definition in expanded.definitions {
                if let value = given[definition.name] ?? definition.defaultValue {
                    scope[definition.name] = value
                } else {
                    scope.removeValue(forKey: definition.name)
                }
            }
        }
        return scope
    }

    /// The value a stage's `ARG NAME[=default]` gets: `--build-arg`, else
    /// its default, else the meta ARG of that name, else the automatic one.
    public func value(for definition: ArgDefinition, meta: [String: String]) -> String? {
        given[definition.name] ?? definition.defaultValue ?? meta[definition.name]
    }

    /// The build args no ARG declared and that are not predefined, for
    /// Docker's "were not consumed" warning.
    public func unconsumed(declared: Set<String>) -> [String] {
        given.keys.filter { !declared.contains($0) && !BuildArguments.proxyNames.contains($0) }.sorted()
    }
}
