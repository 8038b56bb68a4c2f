import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Turns an upper directory whose files have real owners (written by the
/// kernel overlay in a namespace mapping a subordinate range: copy-ups keep
/// the image's owners, `chown` gives new ones) into the store's form: every
/// file the user's own, the owner and mode it had recorded in
/// `user.containers.override_stat`, as hutch-unionfs records them. The store
/// then holds no file the user cannot read or delete, and the committed
/// layer carries the owners the command gave.
public enum OwnerFolding {
    /// True when something under `root` is not the user's own (or cannot be
    /// looked into, which only another owner's folder would stop): then
    /// `fold` must run as root of the subordinate namespace.
    public static func needsFolding(_ root: String) -> Bool {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { return true }
        defer { close(fd) }
        return walk(fd, stopAt: { st in st.st_uid != getuid() || st.st_gid != getgid() }) == .stop
    }

    /// Folds the owners under `root` in place; for a process that is root of
    /// the namespace the files were written in (ids as seen here are the
    /// container's). Symlinks become root's: Linux keeps no user xattrs on
    /// them, as after an unpack.
    public static func fold(_ root: String) throws {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw StoreError.io("cannot open", path: root, errno: errno) }
        defer { close(fd) }
        var failure: Error?
        var rootStat = stat()
        if fstat(fd, &rootStat) == 0 { failure = foldOne(fd, rootStat) }
        if failure == nil {
            _ = walk(fd, stopAt: { _ in false }) { entry, st in
                failure = foldOne(entry, st)
                return failure == nil
            }
        }
        if let failure { throw failure }
    }

    /// `fold(root)` as root of a namespace mapping the user's subordinate
    /// ranges, through `helper` (the hutch binary's hidden `fold-owners`
    /// command), when `needsFolding` says it is needed.
    public static func foldInSubordinateNamespace(_ root: String, helper: String) throws {
        guard needsFolding(root) else { return }
        do {
            try MappedOwnerRemover.runAsSubordinateRoot([helper, "fold-owners", root],
                                                        purpose: "record the owners in \(root)",
                                                        noRange: "its files have other owners")
        } catch let failure as MappedOwnerRemover.Failure {
            throw StoreError.io(failure.description + " at", path: root, errno: EPERM)
        }
    }

    /// `fd` may be an O_PATH descriptor: every call goes through it.
    private static func foldOne(_ fd: Int32, _ st: stat) -> Error? {
        guard st.st_uid != 0 || st.st_gid != 0 else { return nil }
        let type = st.st_mode & S_IFMT
        if type != S_IFLNK {
            // The real owner replaces any recorded earlier (a hutch-unionfs copy-up): it is the newer word.
            let record = Whiteouts.OverrideStat(uid: st.st_uid, gid: st.st_gid, mode: UInt32(st.st_mode & 0o7777))
            do { try Whiteouts.setOverrideStat(record, fd: fd) } catch { return error }
        }
        if fchownat(fd, "", 0, 0, atEmptyPath | AT_SYMLINK_NOFOLLOW) != 0 {
            return StoreError.io("cannot take back", path: Whiteouts.procPath(fd), errno: errno)
        }
        // chown clears setuid and setgid bits: the mode comes back as it was.
        if type != S_IFLNK && st.st_mode & 0o6000 != 0 && chmod(Whiteouts.procPath(fd), st.st_mode & 0o7777) != 0 {
            return StoreError.io("cannot restore the mode of", path: Whiteouts.procPath(fd), errno: errno)
        }
        return nil
    }

    private enum Outcome { case done, stop }

    /// Depth-first over `dirFD`'s entries: stops (returning .stop) at the
    /// first whose stat `stopAt` accepts, or a folder that cannot be opened;
    /// `visit` sees each entry (an O_PATH descriptor) before its children
    /// and may stop the walk by returning false.
    private static func walk(_ dirFD: Int32, stopAt: (stat) -> Bool,
                             visit: (Int32, stat) -> Bool = { _, _ in true }) -> Outcome {
        guard let names = entryNames(ofDirectory: dirFD) else { return .stop }
        for name in names {
            var st = stat()
            guard fstatat(dirFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            if stopAt(st) { return .stop }
            let fd = openat(dirFD, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)
            if fd < 0 { return .stop }
            defer { close(fd) }
            if !visit(fd, st) { return .stop }
            if st.st_mode & S_IFMT == S_IFDIR {
                let sub = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                if sub < 0 { return .stop }
                defer { close(sub) }
                if walk(sub, stopAt: stopAt, visit: visit) == .stop { return .stop }
            }
        }
        return .done
    }
}

/// AT_EMPTY_PATH (a _GNU_SOURCE name Glibc's module leaves out): act on the descriptor itself.
private let atEmptyPath: Int32 = 0x1000
