import ArgumentParser
import Containers
import Foundation
import OCI
import Store

/// What `inspect`, `image inspect` and `container inspect` take.
struct InspectOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @Option(name: .shortAndLong, help: "Format output using a Go-template-like string, e.g. '{{.Id}}', '{{.State.Status}}', '{{json .Config}}'.")
    var format: String?
    @Argument(help: "Names or IDs (or ID prefixes).") var names: [String]
}

/// `hutch inspect`: Docker's JSON array for containers and images. As
/// Docker looks a name up, a container comes first: `hutch inspect web`
/// is the container web even if an image is called web too (`--type
/// image` says otherwise).
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Return low-level information on containers or images")

    @OptionGroup var options: InspectOptions
    @Option(name: .long, help: "Only look for this type: container or image.") var type: String?

    func run() throws {
        switch type {
        case nil: try Inspection.run(options, kinds: [.container, .image])
        case "container": try Inspection.run(options, kinds: [.container])
        case "image": try Inspection.run(options, kinds: [.image])
        case let other?: throw CLIError("\"\(other)\" is not a valid value for --type: container or image")
        }
    }
}

/// The lookups and output of the inspect commands.
enum Inspection {
    enum Kind { case container, image }

    struct ImageInspect: Encodable {
        var Id: String
        var RepoTags: [String]
        var RepoDigests: [String]
        var Parent = ""
        var Comment: String
        var Created: String
        var DockerVersion = ""
        var Author: String
        var Config: OCI.ContainerConfig?
        var Architecture: String
        var Variant: String?
        var Os: String
        var Size: Int64
        var GraphDriver: Driver
        struct Driver: Encodable { var Name: String; var Data: [String: String] }
        var RootFS: RootFSInfo
        struct RootFSInfo: Encodable { var `Type`: String; var Layers: [String] }
        var Metadata: [String: String]
    }

    static func run(_ options: InspectOptions, kinds: [Kind]) throws {
        let manager = kinds.contains(.container) ? try options.store.containerManager() : nil
        let store = kinds.contains(.image) ? try options.store.openStore() : nil
        var items: [JSONValue] = []
        var failed = false
        for name in options.names {
            do {
                guard let item = try find(name, containers: manager, images: store) else {
                    let what = kinds == [.image] ? "image" : kinds == [.container] ? "container" : "object"
                    throw CLIError("No such \(what): \(name)")
                }
                items.append(item)
            } catch {
                FileHandleOutput.standardError.write("Error: \(error)\n")
                failed = true
            }
        }
        if let format = options.format {
            FileHandleOutput.standardOutput.write(items.map { InspectFormatting.render(format, $0) + "\n" }.joined())
        } else {
            FileHandleOutput.standardOutput.write(try InspectFormatting.json(items))
        }
        if failed { throw ExitCode(1) }
    }

    /// The container, else the image, `name` means; nil for neither. An
    /// ambiguous container ID prefix is an error, not a reason to look at images.
    static func find(_ name: String, containers: ContainerManager?, images: Store?) throws -> JSONValue? {
        if let containers {
            do {
                let c = try containers.repository.resolve(name)
                return JSONValue(any: ContainerInspection.object(c, logPath: containers.repository.logPath(c.id)))
            } catch ContainerError.noSuchContainer {}
        }
        guard let s = images, let record = try? s.resolveImage(name) else { return nil }
        let config = try s.config(of: record.id)
        let tags = try s.images.load().tags(of: record.id)
        return try JSONValue(encoding: ImageInspect(
            Id: record.id.description, RepoTags: tags.map(\.familiarString),
            RepoDigests: record.repoDigests.compactMap { try? Reference(parsing: $0).familiarString },
            Comment: config.history?.last?.comment ?? "", Created: config.created ?? formatRFC3339(record.created),
            Author: config.author ?? "", Config: config.config, Architecture: config.architecture,
            Variant: config.variant, Os: config.os, Size: record.size,
            GraphDriver: .init(Name: "overlay", Data: [
                "LowerDir": config.rootfs.diffIDs.reversed().map { s.layers.path(for: $0) }.joined(separator: ":")]),
            RootFS: .init(Type: config.rootfs.type, Layers: config.rootfs.diffIDs.map(\.description)),
            Metadata: ["LastTagTime": formatRFC3339(record.stored)]))
    }
}
