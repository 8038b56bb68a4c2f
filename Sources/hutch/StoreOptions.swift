import ArgumentParser
import Registry
import Store

/// `--root`, accepted by every command that touches the store (the
/// environment's HUTCH_ROOT does the same for all commands).
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("root"), help: ArgumentHelp("Storage root (default: $XDG_DATA_HOME/hutch)", valueName: "path"))
    var root: String?

    func openStore() throws -> Store {
        try Store(location: location())
    }

    /// The store and the config that located it, for the commands that need
    /// the config too (pull, push, build): the files are read once.
    func openStoreWithConfig() throws -> (store: Store, config: HutchConfig) {
        let config = try HutchConfig.loadAndInstall()
        return (try Store(location: StoreLocation.choose(rootOverride: root)), config)
    }

    /// `--root`, then `$HUTCH_ROOT`, then config.toml's `[storage] root`,
    /// then `$XDG_DATA_HOME/hutch`: the same for every command. A default
    /// folder on NFS (or another filesystem that cannot hold the store) is
    /// replaced by a local one; an explicit one there is an error.
    func location() throws -> StoreLocation {
        try HutchConfig.loadAndInstall()
        return try StoreLocation.choose(rootOverride: root)
    }
}
