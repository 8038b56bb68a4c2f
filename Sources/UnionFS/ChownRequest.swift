import CFuse3
import Glibc

/// One `struct seccomp_notif` (linux/seccomp.h): 80 bytes.
struct SeccompNotification: Equatable {
    static let size = 80
    var id: UInt64
    var pid: UInt32
    var nr: Int32
    var arch: UInt32
    var args: [UInt64]

    init(id: UInt64, pid: UInt32, nr: Int32, arch: UInt32, args: [UInt64]) {
        self.id = id; self.pid = pid; self.nr = nr; self.arch = arch; self.args = args
    }

    /// Decodes the kernel's record; nil for a short one.
    init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.size else { return nil }
        func u64(_ at: Int) -> UInt64 { bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self) }
        id = u64(0)
        pid = bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        nr = bytes.loadUnaligned(fromByteOffset: 16, as: Int32.self)
        arch = bytes.loadUnaligned(fromByteOffset: 20, as: UInt32.self)
        args = (0..<6).map { u64(32 + 8 * $0) }
    }
}

/// What a chown-family call asks for, in one form.
struct ChownRequest: Equatable {
    enum Target: Equatable {
        /// A path (address in the caller's memory) against a directory
        /// descriptor of the caller (AT_FDCWD: its working directory).
        case path(dirfd: Int32, address: UInt64, followLinks: Bool)
        /// An open descriptor of the caller (fchown, AT_EMPTY_PATH).
        case descriptor(Int32)
    }
    var target: Target
    /// nil: unchanged (-1).
    var uid: UInt32?
    var gid: UInt32?
    /// AT_EMPTY_PATH: an empty path names dirfd itself.
    var emptyPathAllowed = false

    static let atFDCWD: Int32 = -100
    static let atSymlinkNoFollow: UInt64 = 0x100
    static let atEmptyPath: UInt64 = 0x1000

    /// AUDIT_ARCH_* and the syscall numbers of this family on each.
    static let x86_64: UInt32 = 0xC000_003E
    static let aarch64: UInt32 = 0xC000_00B7

    /// Decodes a notification of the native architecture; nil for anything
    /// else (a compat process, another syscall): the kernel then decides.
    /// Throws the errno the kernel gives for bad flags.
    init?(_ n: SeccompNotification) throws(FSError) {
        func id(_ raw: UInt64) -> UInt32? {
            let v = UInt32(truncatingIfNeeded: raw)
            return v == UInt32.max ? nil : v
        }
        func fd(_ raw: UInt64) -> Int32 { Int32(truncatingIfNeeded: raw) }
        let name: String
        switch (n.arch, n.nr) {
        case (Self.x86_64, 92): name = "chown"
        case (Self.x86_64, 93), (Self.aarch64, 55): name = "fchown"
        case (Self.x86_64, 94): name = "lchown"
        case (Self.x86_64, 260), (Self.aarch64, 54): name = "fchownat"
        default: return nil
        }
        switch name {
        case "chown", "lchown":
            target = .path(dirfd: Self.atFDCWD, address: n.args[0], followLinks: name == "chown")
            uid = id(n.args[1]); gid = id(n.args[2])
        case "fchown":
            target = .descriptor(fd(n.args[0]))
            uid = id(n.args[1]); gid = id(n.args[2])
        default:
            let flags = n.args[4]
            guard flags & ~(Self.atSymlinkNoFollow | Self.atEmptyPath) == 0 else { throw FSError(EINVAL) }
            target = .path(dirfd: fd(n.args[0]), address: n.args[1], followLinks: flags & Self.atSymlinkNoFollow == 0)
            uid = id(n.args[2]); gid = id(n.args[3])
            emptyPathAllowed = flags & Self.atEmptyPath != 0
        }
    }
}

/// What the supervisor reads about the calling process, through a /proc
/// opened when the daemon started (so its pids are those the listener gives).
struct CallerProcess {
    let procFD: Int32
    let pid: UInt32

    /// The NUL-terminated string at `address` in the caller's memory: the
    /// kernel's errors for a bad one (EFAULT: unmapped; ENAMETOOLONG: no NUL
    /// within PATH_MAX; ESRCH: the process is gone).
    func string(at address: UInt64, max: Int = Int(PATH_MAX)) throws(FSError) -> [UInt8] {
        let fd = openat(procFD, "\(pid)/mem", O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FSError(errno == ENOENT ? ESRCH : errno) }
        defer { close(fd) }
        return try Self.readString(fd: fd, address: address, max: max)
    }

    /// Reads page by page, so a string ending just before an unmapped page
    /// is still read whole.
    static func readString(fd: Int32, address: UInt64, max: Int) throws(FSError) -> [UInt8] {
        guard address != 0, address < UInt64(Int64.max) else { throw FSError(EFAULT) }
        var out: [UInt8] = []
        var page = [UInt8](repeating: 0, count: 4096)
        var at = address
        while out.count < max {
            let room = 4096 - Int(at % 4096)
            let want = min(room, max - out.count)
            let n = page.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, want, off_t(Int64(bitPattern: at))) }
            if n <= 0 { throw FSError(EFAULT) }
            if let nul = page[0..<n].firstIndex(of: 0) {
                out += page[0..<nul]
                return out
            }
            out += page[0..<n]
            at += UInt64(n)
        }
        throw FSError(ENAMETOOLONG)
    }

    func text(_ name: String) -> String? {
        let fd = openat(procFD, "\(pid)/\(name)", O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while out.count < 1 << 20 {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Opens /proc/PID/<name> as an O_PATH descriptor (cwd, root, fd/N).
    func open(_ name: String, directory: Bool = false) throws(FSError) -> Int32 {
        let fd = openat(procFD, "\(pid)/\(name)", HUTCH_O_PATH | O_CLOEXEC | (directory ? O_DIRECTORY : 0))
        if fd < 0 { throw FSError(errno == ENOENT ? (name.hasPrefix("fd/") ? EBADF : ESRCH) : errno) }
        return fd
    }

    func readlink(_ name: String) -> String? {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlinkat(procFD, "\(pid)/\(name)", &buf, Int(PATH_MAX))
        guard n > 0 else { return nil }
        buf[n] = 0
        return String(cString: buf)
    }
}

/// The id ranges of /proc/PID/uid_map (or gid_map): "inside outside count" lines.
struct IDMapFile: Equatable {
    struct Range: Equatable { var inside: UInt32; var outside: UInt32; var count: UInt32 }
    var ranges: [Range]

    /// Lines that are not three numbers are skipped (the kernel writes none).
    init(parsing text: String) {
        ranges = []
        for line in text.split(separator: "\n") {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count == 3, let a = UInt32(f[0]), let b = UInt32(f[1]), let c = UInt32(f[2]), c > 0 else { continue }
            ranges.append(Range(inside: a, outside: b, count: c))
        }
    }

    /// The id as seen outside, nil when the namespace does not map it.
    func outside(_ id: UInt32) -> UInt32? {
        for r in ranges where id >= r.inside && UInt64(id) - UInt64(r.inside) < UInt64(r.count) {
            return r.outside &+ (id - r.inside)
        }
        return nil
    }
}

/// CapEff of /proc/PID/status, nil when missing or malformed.
func effectiveCapabilities(status: String) -> UInt64? {
    for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
        let hex = line.dropFirst(7).trimmingCharacters(in: " \t")
        guard !hex.isEmpty, hex.count <= 16 else { return nil }
        return UInt64(hex, radix: 16)
    }
    return nil
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return s
    }
}
