import Dockerfile
import Foundation
import OCI

extension ImageBuilder {
    /// RUN: the command in the sandbox over the stage's layers and a fresh
    /// upper directory, with the ARGs in its environment; the upper
    /// directory becomes the layer when the command succeeds.
    func executeRun(_ run: RunInstruction, state: inout StageState, location: String) throws {
        guard let runner else {
            throw BuildError("RUN needs the sandbox, which this hutch was built without")
        }
        let scratch = try workspace.makeScratch()
        defer { scratch.release() }
        let shell = state.container.shell ?? ConfigAssembler.defaultShell
        var argv = run.command.prependShell ? shell + [run.command.arguments.joined(separator: " ")] : run.command.arguments
        if run.command.prependShell, let heredoc = run.heredocs.first, run.command.arguments.joined().hasPrefix("<<") {
            // RUN <<EOF: the heredoc is the script, run by the shell.
            argv = shell + [try heredoc.expandedBody(env: state.expansionScope)]
        }
        var environment = state.container.env ?? ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        for (name, value) in state.runArguments where !environment.contains(where: { $0.hasPrefix(name + "=") }) {
            environment.append("\(name)=\(value)")
        }
        let network = run.network ?? options.network ?? "default"
        var mounts: [RunStepMount] = []
        for mount in run.mounts {
            switch mount.type {
            case .cache:
                let id = mount.id ?? mount.target ?? "cache"
                let dir = store.root + "/build-mounts/cache-" + Digest.sha256(of: Array(id.utf8)).shortHex
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                mounts.append(RunStepMount(source: dir, target: mount.target ?? "/", readOnly: mount.readOnly))
            case .bind:
                let tree: FileTree = try sourceTree(from: mount.from, state: state)
                guard let entry = try tree.entry(at: mount.source ?? "/", followFinal: true) else {
                    throw BuildError("mount source \(mount.source ?? "/") not found")
                }
                mounts.append(RunStepMount(source: entry.hostPath, target: mount.target ?? "/", readOnly: mount.readOnly))
            case .tmpfs, .secret, .ssh:
                throw BuildError("RUN --mount=type=\(mount.type.rawValue) is not supported by hutch yet")
            }
        }
        let step = RunStep(lowerDirectories: layerDirectories(state), upperDirectory: scratch.upper,
                           workDirectory: scratch.work, argv: argv, environment: environment,
                           workdir: state.container.workingDir ?? "/", user: state.container.user,
                           network: network == "none" ? "none" : "host", mounts: mounts, location: location,
                           quiet: options.quiet)
        let status = try runner.run(step)
        guard status == 0 else {
            let shown = run.command.prependShell ? shell + [run.command.arguments.joined(separator: " ")] : run.command.arguments
            throw BuildError("The command '\(shown.joined(separator: " "))' returned a non-zero code: \(status)",
                             exitCode: 1)
        }
        try commit(scratch.upper, state: &state)
    }
}
