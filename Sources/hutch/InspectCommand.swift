import ArgumentParser
import Foundation
import OCI
import Store

/// `hutch inspect` / `hutch image inspect`: Docker's JSON array (images for now).
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Return low-level information on images")

    @OptionGroup var store: StoreOptions
    @Option(name: .shortAndLong, help: "Format output using a Go-template-like string, e.g. '{{.Id}}'") var format: String?
    @Argument(help: "Images to inspect") var names: [String]

    struct ImageInspect: Encodable {
        var Id: String
        var RepoTags: [String]
        var RepoDigests: [String]
        var Parent = ""
        var Comment: String
        var Created: String
        var DockerVersion = ""
        var Author: String
        var Config: ContainerConfig?
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

    func run() throws {
        let s = try store.openStore()
        var out: [ImageInspect] = []
        var missing: [String] = []
        for name in names {
            guard let record = try? s.resolveImage(name) else { missing.append(name); continue }
            let config = try s.config(of: record.id)
            let tags = try s.images.load().tags(of: record.id)
            out.append(ImageInspect(
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
        if let format {
            for item in out {
                let data = try JSONEncoder().encode(item)
                let dict = (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
                let values = dict.mapValues { v -> String in
                    if let s = v as? String { return s }
                    if let n = v as? NSNumber { return n.stringValue }
                    return (try? String(decoding: JSONSerialization.data(withJSONObject: v), as: UTF8.self)) ?? ""
                }
                print(DockerFormat.render(format: format, headers: [:], rows: [values]), terminator: "")
            }
        } else {
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(reindent(String(decoding: try e.encode(out), as: UTF8.self)))
        }
        if !missing.isEmpty {
            for m in missing { FileHandleOutput.standardError.write("Error: No such image: \(m)\n") }
            throw ExitCode(1)
        }
    }

    /// Docker indents with four spaces, JSONEncoder with two.
    func reindent(_ text: String) -> String {
        text.components(separatedBy: "\n").map { line -> String in
            let spaces = line.prefix { $0 == " " }.count
            var rest = String(line.dropFirst(spaces))
            // Foundation writes `"key" : value`; Go writes `"key": value`.
            if rest.hasPrefix("\""), let r = rest.range(of: "\" : ") { rest.replaceSubrange(r, with: "\": ") }
            return String(repeating: " ", count: spaces * 2) + rest
        }.joined(separator: "\n")
    }
}
