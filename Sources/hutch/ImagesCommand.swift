import ArgumentParser
import Foundation
import OCI
import Store

struct ImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List images")

    @OptionGroup var store: StoreOptions
    /// Docker's -a adds its classic builder's intermediate images. hutch's
    /// builds keep their steps in the build cache and record no image for
    /// them, so there is nothing to add: the flag is accepted for scripts
    /// and the list is the same (docs/images.md).
    @Flag(name: .shortAndLong, help: "Show all images (the same list: hutch builds make no intermediate images)") var all = false
    @Flag(name: .shortAndLong, help: "Only show image IDs") var quiet = false
    @Flag(name: .long, help: "Show digests") var digests = false
    @Flag(name: .long, help: "Don't truncate output") var noTrunc = false
    @Option(name: .long, help: "Format output using a Go-template-like string, e.g. '{{.Repository}}:{{.Tag}}' or 'table {{.ID}}\\t{{.Size}}'")
    var format: String?
    @Argument(help: "Only images of this repository (and tag)") var repository: String?

    func run() throws {
        let s = try store.openStore()
        var filter: Reference?
        if let repository { filter = try Reference(parsing: repository) }
        var rows: [[String: String]] = []
        for image in try s.listImages() {
            let id = noTrunc ? image.id.description : image.id.shortHex
            let base: [String: String] = [
                "ID": id, "CreatedSince": DockerFormat.since(image.record.created),
                "CreatedAt": DockerFormat.createdAt(image.record.created), "Size": DockerFormat.size(image.record.size),
            ]
            let names: [(String, String, String)]
            if image.tags.isEmpty {
                names = [("<none>", "<none>", image.record.repoDigests.first.flatMap { $0.split(separator: "@").last.map(String.init) } ?? "<none>")]
            } else {
                names = image.tags.map { tag in
                    let digest = image.record.repoDigests.first { $0.hasPrefix(tag.repository.description + "@") }
                        .flatMap { $0.split(separator: "@").last.map(String.init) } ?? "<none>"
                    return (tag.repository.familiarName, tag.tag ?? "<none>", digest)
                }
            }
            for (repo, tag, digest) in names {
                if let filter {
                    guard repo == filter.familiarName, filter.tag == nil || filter.tag == tag else { continue }
                }
                var row = base
                row["Repository"] = repo
                row["Tag"] = tag
                row["Digest"] = digest
                rows.append(row)
            }
        }
        if quiet {
            var seen = Set<String>()
            for r in rows where seen.insert(r["ID"]!).inserted { print(r["ID"]!) }
            return
        }
        let headers = ["Repository": "REPOSITORY", "Tag": "TAG", "ID": "IMAGE ID", "CreatedSince": "CREATED",
                       "CreatedAt": "CREATED AT", "Size": "SIZE", "Digest": "DIGEST"]
        let format = self.format ?? (digests
            ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
            : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}")
        print(DockerFormat.render(format: format, headers: headers, rows: rows), terminator: "")
    }
}
