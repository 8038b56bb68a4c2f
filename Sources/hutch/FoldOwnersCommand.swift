import ArgumentParser
import Store

/// `hutch fold-owners DIR` (hidden): run by a build as root of the user
/// namespace that maps the user's subordinate ranges, after a RUN on the
/// kernel overlay, to record the real owners in DIR (the step's upper) as
/// override_stat and give the files back to the user. See Store/OwnerFolding.
struct FoldOwnersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fold-owners", shouldDisplay: false)
    @Argument var directory: String

    func run() throws {
        try OwnerFolding.fold(directory)
    }
}
