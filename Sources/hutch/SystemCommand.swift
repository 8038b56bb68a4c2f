import ArgumentParser
import Foundation
import Store

struct SystemCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system", abstract: "Manage hutch's storage",
        subcommands: [SystemDf.self, SystemPrune.self])
}

struct SystemDf: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "df", abstract: "Show disk usage")
    @OptionGroup var store: StoreOptions

    func run() throws {
        let s = try store.openStore()
        let images = try s.listImages()
        let containers = s.containers.all()
        let used = Set(containers.map(\.imageID))
        let total = images.reduce(Int64(0)) { $0 + $1.record.size }
        let layerSizes = Dictionary(s.layers.all().map { ($0, s.layers.record($0)?.size ?? 0) }) { a, _ in a }
        let layerTotal = layerSizes.values.reduce(0, +)
        var usedLayers = Set<OCIDigestBox>()
        for i in images where used.contains(i.id) {
            if let c = try? s.config(of: i.id) { c.rootfs.diffIDs.forEach { usedLayers.insert(OCIDigestBox(d: $0.description)) } }
        }
        let reclaimable = layerSizes.filter { !usedLayers.contains(OCIDigestBox(d: $0.key.description)) }.values.reduce(0, +)
        let percent = layerTotal > 0 ? " (\(Int(Double(reclaimable) * 100 / Double(layerTotal)))%)" : ""
        print(DockerFormat.table([
            ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"],
            ["Images", "\(images.count)", "\(images.filter { used.contains($0.id) }.count)", DockerFormat.size(max(total, layerTotal)),
             DockerFormat.size(reclaimable) + percent],
            ["Containers", "\(containers.count)", "\(containers.filter { $0.state == .running }.count)", "0B", "0B"],
            ["Local Volumes", "0", "0", "0B", "0B"],
            ["Build Cache", "0", "0", "0B", "0B"],
        ]), terminator: "")
    }
}

struct OCIDigestBox: Hashable { let d: String }

struct SystemPrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused data")
    @OptionGroup var store: StoreOptions
    @Flag(name: .shortAndLong, help: "Remove all unused images not just dangling ones") var all = false
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation") var force = false

    func run() throws {
        if !force {
            print("WARNING! This will remove:\n  - all dangling images\nAre you sure you want to continue? [y/N] ", terminator: "")
            guard let answer = readLine(), answer.lowercased().hasPrefix("y") else { return }
        }
        let (lines, reclaimed) = try store.openStore().pruneImages(all: all)
        if !lines.isEmpty { print("Deleted Images:"); lines.forEach { print($0) }; print("") }
        print("Total reclaimed space: \(DockerFormat.size(reclaimed))")
    }
}
