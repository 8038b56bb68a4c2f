import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Compiled filters kept under $XDG_CACHE_HOME/hutch/seccomp/<sha256>.bpf,
/// because compiling is on the container start path and the inputs rarely
/// change. The key covers everything the BPF depends on: the resolved rules,
/// the capabilities and architecture, and the libseccomp version.
public struct FilterCache: Sendable {
    public var directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public static func standard(environment: [String: String]? = nil) -> FilterCache {
        FilterCache(directory: FilterIndex.standardDirectory(environment: environment))
    }

    /// The filter for `resolved`, from the cache or compiled and stored. Only a
    /// fresh compile reports unknown syscalls, so the warning shows once.
    public func filter(for resolved: ResolvedProfile, target: SeccompTarget) throws -> CompiledFilter {
        let path = directory + "/" + Self.key(for: resolved, target: target) + ".bpf"
        if let bytes = FileBytes.read(path), bytes.count % 8 == 0 {
            return CompiledFilter(bpf: bytes, unknownSyscalls: [])
        }
        let compiled = try resolved.compileBPF()
        // A cache that cannot be written (read-only home, full disk) only costs time.
        FileBytes.writeAtomically(compiled.bpf, to: path, directory: directory)
        return compiled
    }

    static func key(for resolved: ResolvedProfile, target: SeccompTarget) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var hasher = SHA256()
        hasher.update(data: Array("hutch-seccomp-1\n\(libseccompVersion)\n\(target.architecture)\n".utf8))
        hasher.update(data: Array(target.capabilities.sorted().joined(separator: ",").utf8))
        hasher.update(data: (try? encoder.encode(resolved.asProfile)) ?? Data())
        return FileBytes.hex(hasher.finalize())
    }
}

/// What the sandbox calls: the filter for `--security-opt seccomp=VALUE`
/// (nil: the default profile), or nil when the value is `unconfined`.
/// With a cache, unchanged profile files give their filter from the
/// FilterIndex without being parsed.
public func seccompFilter(for reference: String?, target: SeccompTarget,
                          library: ProfileLibrary = .standard(),
                          cache: FilterCache? = .standard()) throws -> CompiledFilter? {
    let reference = reference ?? "default"
    if reference == ProfileLibrary.unconfined { return nil }
    guard let cache else {
        guard let profile = try library.load(reference: reference) else { return nil }
        return try profile.resolved(for: target).compileBPF()
    }
    let index = FilterIndex(directory: cache.directory)
    if let bpf = index.lookup(reference: reference, searchPath: library.searchPath, target: target) {
        return CompiledFilter(bpf: bpf, unknownSyscalls: [])
    }
    guard let (profile, files) = try library.loadRecordingFiles(reference: reference) else { return nil }
    let compiled = try cache.filter(for: profile.resolved(for: target), target: target)
    index.record(compiled.bpf, reference: reference, searchPath: library.searchPath, target: target, files: files)
    return compiled
}
