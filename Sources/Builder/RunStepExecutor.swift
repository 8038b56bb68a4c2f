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
        var tmpfs: [(target: String, size: UInt64?)] = []
        var agentCount = 0
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
            case .tmpfs:
                tmpfs.append((mount.target ?? "/", mount.size))
            case .secret:
                let target = mount.target ?? "/run/secrets/" + (mount.id ?? mount.source ?? "")
                let id = mount.id ?? mount.source ?? (target as NSString).lastPathComponent
                guard let value = try options.secrets.value(of: id, environment: options.environment) else {
                    if mount.required { throw BuildError("secret \(id): not provided (hutch build --secret id=\(id),src=FILE)") }
                    continue
                }
                if let name = mount.env { environment.append("\(name)=\(String(decoding: value, as: UTF8.self))") }
                if mount.env != nil && mount.target == nil { continue }
                // A copy of the secret with the mount's mode, beside the upper (never in it).
                let file = scratch.path + "/secret-\(mounts.count)"
                guard FileManager.default.createFile(atPath: file, contents: value,
                                                     attributes: [.posixPermissions: Int(mount.mode ?? 0o400)]) else {
                    throw BuildError("secret \(id): cannot write its copy at \(file)")
                }
                mounts.append(RunStepMount(source: file, target: target, readOnly: true))
            case .ssh:
                let id = mount.id ?? "default"
                guard let socket = options.secrets.agents[id] else {
                    if mount.required { throw BuildError("ssh agent \(id): not provided (hutch build --ssh \(id))") }
                    continue
                }
                let target = mount.target ?? "/run/buildkit/ssh_agent.\(agentCount)"
                agentCount += 1
                mounts.append(RunStepMount(source: socket, target: target, readOnly: false))
                if agentCount == 1 { environment.append("SSH_AUTH_SOCK=\(target)") }
            }
        }
        let step = RunStep(lowerDirectories: layerDirectories(state), upperDirectory: scratch.upper,
                           workDirectory: scratch.work, argv: argv, environment: environment,
                           workdir: state.container.workingDir ?? "/", user: state.container.user,
                           network: network == "none" ? "none" : "host", mounts: mounts,
                           tmpfs: tmpfs.map { $0.target + ($0.size.map { ":size=\($0)" } ?? "") }, location: location,
                           quiet: options.quiet)
        // Mount points the sandbox makes for these mounts are not the layer's
        // (BuildKit leaves no stub either): those missing below go after the run.
        let below = LayerView(layers: layerDirectories(state))
        let stubs = try (mounts.map(\.target) + tmpfs.map(\.target))
            .filter { try below.entry(at: $0, followFinal: false) == nil }
        let status = try runner.run(step)
        for target in stubs { removeMountStub(target, upper: scratch.upper, below: below) }
        guard status == 0 else {
            let shown = run.command.prependShell ? shell + [run.command.arguments.joined(separator: " ")] : run.command.arguments
            throw BuildError("The command '\(shown.joined(separator: " "))' returned a non-zero code: \(status)",
                             exitCode: 1)
        }
        try commit(scratch.upper, state: &state)
    }

    /// Removes the empty file or folder a mount left at `target` in `upper`,
    /// and the empty folders made for it up to one the layers below have.
    func removeMountStub(_ target: String, upper: String, below: LayerView) {
        var path = target
        while path != "/" && !path.isEmpty {
            if (try? below.entry(at: path, followFinal: false)) != nil { return }
            let host = upper + path
            var st = stat()
            guard lstat(host, &st) == 0 else { return }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: if rmdir(host) != 0 { return }
            case S_IFREG where st.st_size == 0: if unlink(host) != 0 { return }
            default: return
            }
            path = (path as NSString).deletingLastPathComponent
        }
    }
}
