#if canImport(Glibc)
import Glibc
#endif

/// Whole-file reads and atomic writes with libc alone: the filter cache is
/// on the container start path, where Foundation's file APIs cost more than
/// the read.
public enum FileBytes {
    /// The file's bytes; nil when missing, empty, unreadable or over 1 MiB.
    public static func read(_ path: String) -> [UInt8]? {
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

    /// Writes through a temporary file and rename(2), creating `directory`
    /// (mode 0700) first; gives up quietly, a cache only saves time.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) {
        makeDirectories(directory)
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

    /// mkdir -p, mode 0700 for what it creates.
    static func makeDirectories(_ path: String) {
        if mkdir(path, 0o700) == 0 || errno == EEXIST { return }
        guard errno == ENOENT else { return }
        let parent = ProfileSearchPath.parent(path)
        guard parent != path, parent != "/", parent != "." else { return }
        makeDirectories(parent)
        _ = mkdir(path, 0o700)
    }

    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
