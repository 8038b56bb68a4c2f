import ArgumentParser
import Containers
import Foundation
import Store

extension StoreOptions {
    /// The lifecycle operations on this store's containers.
    func containerManager() throws -> ContainerManager {
        try ContainerManager(storeRoot: location().root)
    }
}

/// Runs `body` for each named container as Docker's multi-container
/// commands do: an error for one is printed and the rest go on; the exit
/// code is 1 if any failed. The prefix is hutch's "Error: " (Docker's
/// "Error response from daemon: " names a daemon hutch does not have).
func forEachContainer(_ names: [String], _ body: (String) throws -> Void) throws {
    var failed = false
    for name in names {
        do { try body(name) } catch {
            FileHandleOutput.standardError.write("Error: \(error)\n")
            failed = true
        }
    }
    if failed { throw ExitCode(1) }
}
