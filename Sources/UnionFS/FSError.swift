import CFuse3
import Glibc

/// An errno to hand back to the kernel. Typed throws keep the error path
/// free of allocation.
struct FSError: Error {
    let code: Int32
    init(_ code: Int32) { self.code = code }
    static var current: FSError { FSError(errno) }
}

@inline(__always)
func check(_ result: Int32) throws(FSError) {
    if result < 0 { throw FSError.current }
}

@inline(__always)
func checkFD(_ result: Int32) throws(FSError) -> Int32 {
    if result < 0 { throw FSError.current }
    return result
}

/// A pthread mutex for the FUSE worker threads (no Foundation on the hot path).
final class Mutex {
    private let m: UnsafeMutablePointer<pthread_mutex_t>
    init() {
        m = .allocate(capacity: 1)
        pthread_mutex_init(m, nil)
    }
    deinit { pthread_mutex_destroy(m); m.deallocate() }
    @inline(__always)
    func locked<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(m)
        defer { pthread_mutex_unlock(m) }
        return try body()
    }
}

@inline(__always) func isDir(_ mode: mode_t) -> Bool { mode & S_IFMT == S_IFDIR }
@inline(__always) func isReg(_ mode: mode_t) -> Bool { mode & S_IFMT == S_IFREG }

/// A kernel-overlay whiteout: a character device 0/0.
@inline(__always) func isWhiteout(_ st: stat) -> Bool {
    st.st_mode & S_IFMT == S_IFCHR && st.st_rdev == 0
}

/// The kernel's other whiteout form (overlayfs with userxattr, Linux 6.7+),
/// which hutch's store writes where mknod is refused: an empty regular file
/// with `user.overlay.whiteout`. Only empty files pay for the xattr read.
@inline(__always) func isWhiteout(_ st: stat, at fd: Int32, _ path: String) -> Bool {
    if isWhiteout(st) { return true }
    guard st.st_mode & S_IFMT == S_IFREG && st.st_size == 0 else { return false }
    return xattrWhiteout(at: fd, path)
}

func xattrWhiteout(at fd: Int32, _ path: String) -> Bool {
    // No getxattrat before Linux 6.13: go through the layer's fd in /proc.
    lgetxattr("/proc/self/fd/\(fd)/" + path, "user.overlay.whiteout", nil, 0) >= 0
}

/// The errno of an error thrown through an untyped `do`.
@inline(__always)
func errorCode(_ error: any Error) -> Int32 { (error as? FSError)?.code ?? EIO }
