import ArgumentParser
import Store

/// `--root`, accepted by every command that touches the store (the
/// environment's HUTCH_ROOT does the same for all commands).
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("root"), help: ArgumentHelp("Storage root (default: $XDG_DATA_HOME/hutch)", valueName: "path"))
    var root: String?

    func openStore() throws -> Store {
        try Store(location: StoreLocation.resolve(rootOverride: root))
    }
}
