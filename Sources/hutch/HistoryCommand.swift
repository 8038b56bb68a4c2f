import ArgumentParser
import Foundation
import OCI
import Store

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Show the history of an image")

    @OptionGroup var store: StoreOptions
    @Flag(name: .long, help: "Don't truncate output") var noTrunc = false
    @Flag(name: .shortAndLong, help: "Only show image IDs") var quiet = false
    @Flag(name: .shortAndLong, inversion: .prefixedNo, help: "Print sizes and dates in human readable format") var human = true
    @Argument(help: "Image") var image: String

    func run() throws {
        let s = try store.openStore()
        let record = try s.resolveImage(image)
        let config = try s.config(of: record.id)
        var diffIDs = config.rootfs.diffIDs.makeIterator()
        var rows: [[String]] = []
        let history = config.history ?? config.rootfs.diffIDs.map { _ in HistoryEntry() }
        for entry in history {
            var size: Int64 = 0
            if entry.emptyLayer != true, let d = diffIDs.next() { size = s.layers.record(d)?.size ?? 0 }
            let created = entry.createdDate.map { human ? DockerFormat.since($0) : formatRFC3339($0) } ?? ""
            var by = entry.createdBy ?? ""
            if !noTrunc && by.count > 45 { by = String(by.prefix(44)) + "…" }
            rows.append(["<missing>", created, by, human ? DockerFormat.size(size) : String(size), entry.comment ?? ""])
        }
        rows.reverse()
        if !rows.isEmpty { rows[0][0] = noTrunc ? record.id.description : record.id.shortHex }
        if quiet { rows.forEach { print($0[0]) }; return }
        print(DockerFormat.table([["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]] + rows), terminator: "")
    }
}
