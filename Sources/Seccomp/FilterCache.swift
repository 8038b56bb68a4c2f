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

    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> FilterCache {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.cache"
        return FilterCache(directory: base + "/hutch/seccomp")
    }

    /// The filter for `resolved`, from the cache or compiled and stored. Only a
    /// fresh compile reports unknown syscalls, so the warning shows once.
    public func filter(for resolved: ResolvedProfile, target: SeccompTarget) throws -> CompiledFilter {
        let path = directory + "/" + Self.key(for: resolved, target: target) + ".bpf"
        if let bytes = Self.readFile(path), !bytes.isEmpty, bytes.count % 8 == 0 {
            return CompiledFilter(bpf: bytes, unknownSyscalls: [])
        }
        let compiled = try resolved.compileBPF()
        // A cache that cannot be written (read-only home, full disk) only costs time.
        Self.writeAtomically(compiled.bpf, to: path, directory: directory)
        return compiled
    }

    static func key(for resolved: ResolvedProfile, target: SeccompTarget) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var hasher = SHA256()
        hasher.update(data: Array("hutch-seccomp-1\n\(libseccompVersion)\n\(target.architecture)\n".utf8))
        hasher.update(data: Array(target.capabilities.sorted().joined(separator: ",").utf8))
        hasher.update(data: (try? encoder.encode(resolved.asProfile)) ?? Data())
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    private static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size > 0, st.st_size < 1 << 20 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            offset += n
        }
        return bytes
    }

    private static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        let temp = "\(path).\(getpid()).tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { close(fd); unlink(temp); return }
            offset += n
        }
        close(fd)
        if rename(temp, path) != 0 { unlink(temp) }
    }
}

/// What the sandbox calls: the filter for `--security-opt seccomp=VALUE`
/// (nil: the default profile), or nil when the value is `unconfined`.
public func seccompFilter(for reference: String?, target: SeccompTarget,
                          library: ProfileLibrary = .standard(),
                          cache: FilterCache? = .standard()) throws -> CompiledFilter? {
    guard let profile = try library.load(reference: reference ?? "default") else { return nil }
    let resolved = try profile.resolved(for: target)
    if let cache { return try cache.filter(for: resolved, target: target) }
    return try resolved.compileBPF()
}
