#if canImport(Glibc)
import Glibc
#endif

/// An flock(2) on a file: released by the kernel when the process dies, so a
/// kill -9 never leaves the store locked.
public final class FileLock {
    public let path: String
    private let fd: Int32

    /// Opens (creating) the lock file.
    public init(path: String) throws {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { throw StoreError.io("cannot open lock", path: path, errno: errno) }
    }

    deinit { close(fd) }

    public func lock(exclusive: Bool = true) throws {
        while flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            if errno != EINTR { throw StoreError.io("cannot lock", path: path, errno: errno) }
        }
    }

    /// Takes the lock only if nobody holds it.
    public func tryLock(exclusive: Bool = true) -> Bool {
        flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0
    }

    public func unlock() { flock(fd, LOCK_UN) }

    public func withLock<T>(exclusive: Bool = true, _ body: () throws -> T) throws -> T {
        try lock(exclusive: exclusive)
        defer { unlock() }
        return try body()
    }
}
