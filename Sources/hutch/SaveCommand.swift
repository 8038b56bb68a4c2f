import ArgumentParser
import Foundation
import Store

struct SaveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save", abstract: "Save one or more images to a tar archive (streamed to STDOUT by default)")

    @OptionGroup var store: StoreOptions
    @Option(name: .shortAndLong, help: "Write to a file, instead of STDOUT") var output: String?
    @Option(name: .long, help: "docker-archive (what docker load reads; the default) or oci-archive (an OCI image layout)")
    var format: String = "docker-archive"
    @Argument(help: "IMAGE...") var images: [String]

    func run() throws {
        guard let kind = ImageArchiveFormat(name: format) else {
            throw CLIError("unknown format \(format): use docker-archive or oci (oci-archive)")
        }
        let s = try store.openStore()
        guard let output else {
            if isatty(1) != 0 { throw CLIError("cowardly refusing to save to a terminal. Use the -o flag or redirect") }
            return try s.saveImages(images, format: kind, to: 1)
        }
        // Written beside the target and renamed: a failed save leaves no half archive.
        let tmp = output + ".hutch-save-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw CLIError("failed to save image: open \(output): \(String(cString: strerror(errno)))") }
        do {
            try s.saveImages(images, format: kind, to: fd)
            if fsync(fd) != 0 { throw CLIError("failed to save image: write \(output): \(String(cString: strerror(errno)))") }
            close(fd)
            if rename(tmp, output) != 0 { throw CLIError("failed to save image: \(output): \(String(cString: strerror(errno)))") }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
    }
}
