import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes that are all or nothing: a temporary file in the same folder,
/// fsync, rename over the target, fsync the folder. A crash at any point
/// leaves the old file or the new one, never a mix.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o644, syncDirectory: Bool = true) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = dir + "/.tmp-" + (path as NSString).lastPathComponent + "-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if fd < 0 { throw StoreError.io("cannot create", path: tmp, errno: errno) }
        do {
            try data.withUnsafeBytes { raw in try writeAll(fd, raw, path: tmp) }
            try check(fsync(fd), "cannot sync", tmp)
            close(fd)
            try check(rename(tmp, path), "cannot rename into", path)
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        if syncDirectory { try syncDir(dir) }
    }

    /// Makes a rename or create in `dir` durable.
    public static func syncDir(_ dir: String) throws {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw StoreError.io("cannot open", path: dir, errno: errno) }
        defer { close(fd) }
        _ = fsync(fd)
    }

    static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < raw.count {
            let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io("cannot write", path: path, errno: errno)
            }
            offset += n
        }
    }
}

/// Reads a whole file, or nil when it does not exist.
func readFileIfPresent(_ path: String) throws -> Data? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
        if errno == ENOENT { return nil }
        throw StoreError.io("cannot open", path: path, errno: errno)
    }
    defer { close(fd) }
    var out = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw StoreError.io("cannot read", path: path, errno: errno)
        }
        if n == 0 { break }
        out.append(buffer, count: n)
    }
    return out
}

func makeDirectory(_ path: String, mode: mode_t = 0o755) throws {
    if mkdir(path, mode) != 0 && errno != EEXIST {
        throw StoreError.io("cannot create folder", path: path, errno: errno)
    }
}
