import Foundation
import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// Removes folders holding files a container made: owned by the user's
/// subordinate ids, which the user cannot delete from outside. The removal
/// runs as root of a user namespace that maps the whole subordinate range
/// (what `podman unshare rm -rf` does), set up with newuidmap/newgidmap.
public enum MappedOwnerRemover {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `rm -rf path` inside a user namespace mapping the user's /etc/subuid
    /// and /etc/subgid ranges. Without a range every file is the user's
    /// own, so nothing here is needed: that case throws, naming the path.
    public static func remove(_ path: String) throws {
        guard let rm = (["/usr/bin/rm", "/bin/rm"] as [String]).first(where: { access($0, X_OK) == 0 }) else {
            throw Failure(description: "cannot remove \(path): no rm in /usr/bin or /bin")
        }
        try runAsSubordinateRoot([rm, "-rf", "--", path], purpose: "remove \(path)",
                                 noRange: "some files are not yours")
        var st = stat()
        if lstat(path, &st) == 0 {
            throw Failure(description: "cannot remove \(path): files in it are owned by ids outside your subordinate range")
        }
    }

    /// Runs `argv` as root of a user namespace that maps the user to 0 and
    /// their /etc/subuid and /etc/subgid ranges from 1 (the mapping hutch's
    /// containers get), and throws unless it exits 0. `purpose` and
    /// `noRange` word the errors ("cannot PURPOSE: NORANGE, and ...").
    public static func runAsSubordinateRoot(_ argv: [String], purpose: String, noRange: String) throws {
        let name = getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? String(getuid())
        let group = getgrgid(getgid()).map { String(cString: $0.pointee.gr_name) }
        guard let uids = OwnerMapping.subordinateRange(file: "/etc/subuid", names: [name, String(getuid())]),
              let gids = OwnerMapping.subordinateRange(file: "/etc/subgid", names: [name, String(getuid())] + (group.map { [$0] } ?? []))
        else {
            throw Failure(description: "cannot \(purpose): \(noRange), and \(name) has no /etc/subuid and /etc/subgid range to reach them")
        }
        let tools = try ["newuidmap", "newgidmap"].map { tool -> String in
            guard let p = (["/usr/bin/", "/bin/", "/usr/sbin/"] as [String]).map({ $0 + tool }).first(where: { access($0, X_OK) == 0 }) else {
                throw Failure(description: "cannot \(purpose): \(tool) is missing (Debian package uidmap)")
            }
            return p
        }
        try runMapped(argv: argv,
                      uidMap: ["0", String(getuid()), "1", "1", String(uids.start), String(uids.count)],
                      gidMap: ["0", String(getgid()), "1", "1", String(gids.start), String(gids.count)],
                      tools: (tools[0], tools[1]))
    }

    /// fork, then unshare(CLONE_NEWUSER) in the child (a threaded process
    /// cannot), the parent writes the maps, then the child execs `argv` as
    /// the namespace's root. Between fork and exec the child makes only
    /// system calls on memory prepared before the fork.
    static func runMapped(argv: [String], uidMap: [String], gidMap: [String], tools: (String, String)) throws {
        var up: [Int32] = [-1, -1], down: [Int32] = [-1, -1]
        guard pipe(&up) == 0, pipe(&down) == 0 else {
            throw Failure(description: "pipe: \(String(cString: strerror(errno)))")
        }
        for fd in up + down { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let pid = cArgs.withUnsafeBufferPointer { args -> pid_t in
            let child = fork()
            if child != 0 { return child }
            var byte: UInt8 = 1
            if hutch_unshare(HUTCH_CLONE_NEWUSER) != 0 { _exit(120) }
            if write(up[1], &byte, 1) != 1 { _exit(121) }
            if read(down[0], &byte, 1) != 1 { _exit(122) }   // the parent closed it: the maps failed
            execv(args[0]!, args.baseAddress!)
            _exit(127)
        }
        close(up[1])
        close(down[0])
        defer { close(up[0]); close(down[1]) }
        if pid < 0 { throw Failure(description: "fork: \(String(cString: strerror(errno)))") }
        var byte: UInt8 = 0
        var mapped = read(up[0], &byte, 1) == 1
        var why = "the child could not create a user namespace"
        if mapped {
            for (tool, map) in [(tools.0, uidMap), (tools.1, gidMap)] {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: tool)
                p.arguments = [String(pid)] + map
                let err = Pipe()
                p.standardError = err
                do { try p.run() } catch { mapped = false; why = "\(tool): \(error)"; break }
                p.waitUntilExit()
                if p.terminationStatus != 0 {
                    mapped = false
                    why = "\(tool) failed: " + String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                        .trimmingCharacters(in: .whitespacesAndNewlines)
                    break
                }
            }
        }
        if mapped { _ = write(down[1], &byte, 1) }
        close(down[1])
        down[1] = -1
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard mapped else { throw Failure(description: "cannot enter a user namespace: \(why)") }
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        if code != 0 { throw Failure(description: "\(argv.joined(separator: " ")) in the user namespace exited with \(code)") }
    }
}
