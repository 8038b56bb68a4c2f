import Foundation
import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// hutch-unionfs's metadata-only copies: after a chmod, chown, utime or
/// setxattr of a lower file, the upper holds a "stub", a sparse file of the
/// right size whose `user.hutch.datasource` xattr names (by absolute path)
/// the lower file that still holds the data. Whatever reads an upper as a
/// layer must take the data from there; the path is trusted only inside the
/// store's layers.
enum StubData {
    static let xattrName = "user.hutch.datasource"

    /// The xattr's value at `path` (a /proc/self/fd link), nil when absent.
    static func source(_ path: String) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX))
        let n = getxattr(path, xattrName, &buffer, buffer.count)
        return n > 0 ? Array(buffer[0..<n]) : nil
    }

    /// Opens a stub's data for reading. `source` is the xattr's value.
    static func openSource(_ source: [UInt8], of path: String, within root: String) throws -> Int32 {
        let named = String(decoding: source, as: UTF8.self)
        guard let realRoot = realpath(root, nil) else { throw StoreError.io("cannot resolve", path: root, errno: errno) }
        defer { free(realRoot) }
        guard let real = realpath(named, nil) else {
            throw StoreError.conflict("\(path) is a metadata-only copy whose data, \(named), is gone (\(String(cString: strerror(errno))))")
        }
        defer { free(real) }
        let inside = String(cString: realRoot) + "/"
        guard String(cString: real).hasPrefix(inside) else {
            throw StoreError.conflict("\(path) names its data at \(named), outside the store's layers; refusing to read it")
        }
        let fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 { throw StoreError.io("cannot open the data of", path: path, errno: errno) }
        return fd
    }

    /// Copies a stub's data in, in place (hard links keep sharing it), and
    /// drops the xattr; mode and times stay as they were.
    static func fill(dirFD: Int32, name: String, path: String, source: [UInt8], within root: String) throws {
        let src = try openSource(source, of: path, within: root)
        defer { close(src) }
        var st = stat()
        guard fstatat(dirFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { throw StoreError.io("cannot stat", path: path, errno: errno) }
        var dst = openat(dirFD, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        if dst < 0 && errno == EACCES && st.st_uid == getuid() {
            fchmodat(dirFD, name, (st.st_mode & 0o7777) | S_IWUSR, 0)   // our own read-only file
            dst = openat(dirFD, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        }
        if dst < 0 {
            let e = errno
            fchmodat(dirFD, name, st.st_mode & 0o7777, 0)
            throw StoreError.io("cannot fill in the data of", path: path, errno: e)
        }
        defer { close(dst) }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 17, alignment: 16)
        defer { buffer.deallocate() }
        var total: off_t = 0
        while true {
            let n = read(src, buffer, 1 << 17)
            if n < 0 { if errno == EINTR { continue }; throw StoreError.io("cannot read the data of", path: path, errno: errno) }
            if n == 0 { break }
            var done = 0
            while done < n {
                let w = pwrite(dst, buffer + done, n - done, total + off_t(done))
                if w < 0 { if errno == EINTR { continue }; throw StoreError.io("cannot write", path: path, errno: errno) }
                done += w
            }
            total += off_t(n)
        }
        guard ftruncate(dst, total) == 0 else { throw StoreError.io("cannot write", path: path, errno: errno) }
        if fremovexattr(dst, xattrName) != 0 && errno != ENODATA {
            throw StoreError.io("cannot remove \(xattrName) from", path: path, errno: errno)
        }
        fchmod(dst, st.st_mode & 0o7777)   // writing clears setuid bits
        var times = [st.st_atim, st.st_mtim]
        futimens(dst, &times)
    }
}
