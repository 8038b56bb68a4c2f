import SandboxRun
import SeccompCache
#if canImport(Glibc)
import Glibc
#endif

// `hutch` as installed: a plain `hutch run --rootfs DIR ... COMMAND` starts
// here, in a binary that links the Sandbox module and the seccomp filter
// index, and no Foundation (the full CLI links libcurl, libarchive and ~40
// shared libraries: ~10 ms of dynamic loading per start; Foundation alone
// costs ~1 ms). Every other command line, any run line RootfsCommandLine
// does not recognize (--help, an error, an image, -d), a run whose seccomp
// profile a config file may choose, and a run whose seccomp filter is not
// in the index yet, is the full CLI's: hutch-cli beside this executable,
// exec'd with the same arguments, so what the user sees does not depend on
// which one answers.

func writeError(_ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
        if n < 0 { if errno == EINTR { continue }; return }
        offset += n
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

/// The filter index missed: the full CLI compiles the profile and records it.
struct FilterNotIndexed: Error {}

let arguments = CommandLine.arguments
// A config file that may set the default seccomp profile is TOML, which
// only the full CLI reads: such runs go there (see ConfiguredSeccomp).
if arguments.count > 2, arguments[1] == "run", let line = RootfsCommandLine(Array(arguments.dropFirst(2))),
   !ConfiguredSeccomp.mayChooseProfile(securityOpts: line.options.securityOpts) {
    do {
        let index = FilterIndex(directory: FilterIndex.standardDirectory())
        let filter = { (reference: String?, target: SeccompTarget) throws -> CompiledFilter? in
            guard let bpf = index.lookup(reference: reference ?? "default", searchPath: .standard(), target: target) else {
                throw FilterNotIndexed()
            }
            return CompiledFilter(bpf: bpf, unknownSyscalls: [])
        }
        exit(try RootfsRun.run(rootfs: line.rootfs, command: line.command, options: line.options,
                               filter: filter, warn: { writeError($0 + "\n") }))
    } catch is FilterNotIndexed {
        // Nothing has started yet: the full CLI does it all again.
    } catch {
        let failure = RootfsRun.failure(error)
        writeError("Error: \(failure.message)\n")
        exit(failure.exitCode)
    }
}
let full = fullCLIPath()
var argv = arguments.map { strdup($0) }
argv.append(nil)
execvp(full, argv)
writeError("Error: cannot run \(full): \(String(cString: strerror(errno))) (hutch is not installed completely: run make install again)\n")
exit(125)
