import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs helper programs (pasta, slirp4netns, the monitor) with posix_spawn:
/// no shell, explicit descriptors.
enum Subprocess {
    struct Result { var status: Int32; var output: String }

    /// Runs argv to completion, capturing stdout and stderr together.
    static func run(_ argv: [String]) -> Result {
        var fds: [Int32] = [0, 0]
        guard cloexecPipe(&fds) else { return Result(status: -1, output: "pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        closeInherited(&actions, keep: [fds[0], fds[1]])
        let pid = spawn(argv, actions: &actions, setsid: false)
        close(fds[1])
        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            output += buffer[0..<n]
        }
        close(fds[0])
        guard pid > 0 else { return Result(status: 127, output: "cannot run \(argv[0]): \(String(cString: strerror(-pid)))") }
        return Result(status: waitStatus(pid), output: String(decoding: output, as: UTF8.self))
    }

    /// Starts argv in a new session with stdio on /dev/null and `extraFD`
    /// as its fd 3, without waiting; returns its pid (or -errno).
    static func spawnDetached(_ argv: [String], extraFD: Int32 = -1) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        if extraFD >= 0 { posix_spawn_file_actions_adddup2(&actions, extraFD, 3) }
        closeInherited(&actions, keep: extraFD >= 0 ? [3, extraFD] : [])
        return spawn(argv, actions: &actions, setsid: true)
    }

    /// Closes, in the helper, every descriptor above 2 this process has open
    /// but `keep`: the container's sync pipes must not live on in pasta.
    static func closeInherited(_ actions: inout posix_spawn_file_actions_t, keep: Set<Int32>) {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for name in fds {
            guard let fd = Int32(name), fd > 3 || (fd == 3 && !keep.contains(3)), !keep.contains(fd) else { continue }
            if fcntl(fd, F_GETFD) >= 0 { posix_spawn_file_actions_addclose(&actions, fd) }
        }
    }

    private static func spawn(_ argv: [String], actions: inout posix_spawn_file_actions_t, setsid: Bool) -> pid_t {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Signals blocked or ignored here must not stay so in the helper.
        var none = sigset_t(); sigemptyset(&none)
        var all = sigset_t(); sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &all)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if setsid { flags |= 0x80 } // POSIX_SPAWN_SETSID (glibc 2.26), not exported to Swift
        posix_spawnattr_setflags(&attr, Int16(flags))
        var cargs = argv.map { strdup($0) }
        cargs.append(nil)
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attr, &cargs, environ)
        return rc == 0 ? pid : -rc
    }

    static func waitStatus(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 { if errno != EINTR { return -1 } }
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }

    /// pipe2(O_CLOEXEC), which Glibc does not export to Swift.
    static func cloexecPipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return true
    }
}
