import ArgumentParser
import Foundation
import OCI
import Store

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import the contents from a tarball to create a filesystem image")

    @OptionGroup var store: StoreOptions
    @Option(name: .shortAndLong, help: "Apply Dockerfile instruction to the created image (CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, LABEL, VOLUME)")
    var change: [String] = []
    @Option(name: .shortAndLong, help: "Set commit message for imported image") var message: String?
    @Argument(help: "A tarball (plain, gzip or zstd), or - for standard input") var file: String
    @Argument(help: "REPOSITORY[:TAG]") var reference: String?

    func run() throws {
        let tag = try reference.map { try Reference(parsing: $0) }
        let fd: Int32 = file == "-" ? 0 : open(file, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw CLIError("open \(file): \(String(cString: strerror(errno)))") }
        defer { if fd != 0 { close(fd) } }
        let id = try store.openStore().importImage(from: fd, source: file == "-" ? "-" : file, changes: change,
                                                   message: message, tag: tag)
        print(id.description)
    }
}
