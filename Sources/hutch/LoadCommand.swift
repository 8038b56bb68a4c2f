import ArgumentParser
import Foundation
import Store

struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load", abstract: "Load images from a tar archive (docker-archive or OCI layout, plain or compressed) or STDIN")

    @OptionGroup var store: StoreOptions
    @Option(name: .shortAndLong, help: "Read from tar archive file, instead of STDIN") var input: String?
    @Flag(name: .shortAndLong, help: "Suppress the load output") var quiet = false

    func run() throws {
        let fd: Int32
        if let input {
            fd = open(input, O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw CLIError("open \(input): \(String(cString: strerror(errno)))") }
        } else {
            if isatty(0) != 0 { throw CLIError("requested load from stdin, but stdin is empty") }
            fd = 0
        }
        defer { if fd != 0 { close(fd) } }
        let lines = try store.openStore().loadImages(from: fd)
        if !quiet { lines.forEach { print($0) } }
    }
}
