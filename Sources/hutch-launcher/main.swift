import ArgumentParser
import SandboxRun
#if canImport(Glibc)
import Glibc
#endif

// `hutch` as installed: a plain `hutch run --rootfs DIR ... COMMAND` starts
// here, in a binary that links only the Sandbox and Seccomp modules (the
// full CLI links libcurl, libarchive and ~40 shared libraries, ~10 ms of
// dynamic loading per start). Everything else, and anything this launcher
// is not sure of (--help, a parse error, an image, -d), is the full CLI's:
// hutch-cli beside this executable, exec'd with the same arguments.

/// The run command line as the full CLI's RunCommand declares it.
struct LauncherRun: ParsableArguments {
    @OptionGroup var options: RunArguments
    @Option(name: .customLong("root")) var root: String?
    @Argument(parsing: .captureForPassthrough) var command: [String] = []
}

func writeError(_ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
        if n < 0 { if errno == EINTR { continue }; return }
        offset += n
    }
}

/// The exit code of a plain --rootfs run, or nil when the full CLI must decide.
func quickRun(_ arguments: [String]) -> Int32? {
    guard let parsed = try? LauncherRun.parse(arguments), !parsed.options.needsContainerRecord,
          let rootfs = parsed.options.rootfs, parsed.command.first.map({ !$0.hasPrefix("-") }) ?? true else { return nil }
    do {
        return try RootfsRun.run(rootfs: rootfs, command: parsed.command, arguments: parsed.options) { writeError($0 + "\n") }
    } catch {
        let failure = RootfsRun.failure(error)
        writeError("Error: \(failure.message)\n")
        return failure.exitCode
    }
}

/// hutch-cli in this executable's folder (on PATH when that is unknown).
func fullCLIPath() -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let me = n > 0 ? String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    guard let slash = me.lastIndex(of: "/") else { return "hutch-cli" }
    return me[..<slash] + "/hutch-cli"
}

let arguments = CommandLine.arguments
if arguments.count > 2, arguments[1] == "run", let code = quickRun(Array(arguments.dropFirst(2))) {
    exit(code)
}
let full = fullCLIPath()
var argv = arguments.map { strdup($0) }
argv.append(nil)
execvp(full, argv)
writeError("Error: cannot run \(full): \(String(cString: strerror(errno))) (hutch is not installed completely: run make install again)\n")
exit(125)
