import ArgumentParser
import Containers
import Foundation
import Store

struct SystemCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system", abstract: "Manage hutch's storage",
        subcommands: [SystemDf.self, SystemPrune.self, SystemRmTree.self])
}

struct SystemDf: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "df", abstract: "Show disk usage")
    @OptionGroup var store: StoreOptions

    /// Docker's table: Images count each layer once (SIZE) and what the
    /// images no container uses alone hold (RECLAIMABLE); Containers their
    /// writable layers; Build Cache the layers only the cache keeps. hutch
    /// has no named volumes: that row is always empty.
    func run() throws {
        let s = try store.openStore()
        let images = try s.imageDiskUsage()
        let containers = try ContainerRepository(storeRoot: s.root).diskUsage()
        let cache = try s.buildCacheUsage()
        FileHandleOutput.standardOutput.write(DockerFormat.table([
            ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"],
            ["Images", "\(images.total)", "\(images.active)", DockerFormat.size(images.size),
             Self.reclaimable(images.reclaimable, of: images.size)],
            ["Containers", "\(containers.total)", "\(containers.running)", DockerFormat.size(containers.size),
             Self.reclaimable(containers.reclaimable, of: containers.size)],
            ["Local Volumes", "0", "0", "0B", "0B"],
            // Docker shows no percentage for the build cache.
            ["Build Cache", "\(cache.entries)", "0", DockerFormat.size(cache.size), DockerFormat.size(cache.size)],
        ]))
    }

    /// "11.6MB (70%)", the percentage rounded down as Docker's integer division does; no percentage of nothing.
    static func reclaimable(_ bytes: Int64, of total: Int64) -> String {
        total > 0 ? "\(DockerFormat.size(bytes)) (\(bytes * 100 / total)%)" : DockerFormat.size(bytes)
    }
}

/// Docker's `[y/N]` question on standard output; only "y" or "yes" (any
/// case) goes on. End of input is a no.
func confirm(_ warning: String) -> Bool {
    FileHandleOutput.standardOutput.write(warning + "\nAre you sure you want to continue? [y/N] ")
    guard let answer = readLine() else { return false }
    return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
}

/// `hutch system prune`: what Docker's removes, but networks (hutch makes
/// none that outlive their container) and volumes (hutch has no named ones).
struct SystemPrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused data")
    @OptionGroup var store: StoreOptions
    @Flag(name: .shortAndLong, help: "Remove all unused images not just dangling ones, and all build cache") var all = false
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation") var force = false

    func run() throws {
        if !force {
            let what = ["all stopped containers",
                        all ? "all images without at least one container associated to them" : "all dangling images",
                        all ? "all build cache" : "unused build cache"]
            guard confirm("WARNING! This will remove:\n" + what.map { "  - " + $0 + "\n" }.joined()) else { return }
        }
        let location = try store.location()
        let containers = try ContainerManager(storeRoot: location.root).pruneStopped()
        let s = try Store(location: location)
        let images = try s.pruneImages(all: all)
        let cache = try s.pruneBuildCache(all: all)
        var out = ""
        if !containers.removed.isEmpty { out += "Deleted Containers:\n" + containers.removed.map { $0 + "\n" }.joined() + "\n" }
        if !images.lines.isEmpty { out += "Deleted Images:\n" + images.lines.map { $0 + "\n" }.joined() + "\n" }
        if !cache.removed.isEmpty { out += "Deleted build cache objects:\n" + cache.removed.map { $0 + "\n" }.joined() + "\n" }
        out += "Total reclaimed space: " + DockerFormat.size(containers.reclaimed + images.reclaimed + cache.reclaimed) + "\n"
        FileHandleOutput.standardOutput.write(out)
    }
}

/// Hidden: removes a folder holding files a container made, owned by your
/// subordinate ids (which plain `rm -rf` cannot remove).
struct SystemRmTree: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm-tree", abstract: "Remove a folder with files owned by your subordinate ids", shouldDisplay: false)
    @Argument(help: "PATH...") var paths: [String]

    func run() throws {
        for path in paths {
            guard !path.isEmpty, path != "/" else { throw CLIError("refusing to remove \"\(path)\"") }
            try removeTree(path)
        }
    }
}
