import CSandbox
import Foundation
import Store
import UnionFS
#if canImport(Glibc)
import Glibc
#endif

/// An image's layers mounted as one root filesystem: the store's unpacked
/// layers as read-only lowers, a writable upper of the container's (or the
/// build step's) own. The one place hutch makes such a mount, so `run`,
/// the monitor and the builder all get the same one.
///
/// A root is mounted twice, one after the other, never both in use:
/// - on the host, by the user (FUSE through fusermount3), while hutch
///   prepares the container: it reads /etc/passwd, resolves mount points,
///   creates the working folder;
/// - then, once the container's namespaces exist and before its init goes
///   on (`joining:` its pid), by a daemon that joins its user and mount
///   namespaces and mounts over the same path there. Only a mount made in
///   the container's user namespace may serve all of that namespace's ids
///   (a host mount serves the user alone, and allow_other needs root's
///   user_allow_other), so `USER app` works with a subuid range; and the
///   requests arrive with the container's ids, which the daemon records as
///   they are. The host mount is then let go.
/// Either way the layers stay the user's files: the owners the image gives
/// are in `user.containers.override_stat`, which the daemon shows back.
public enum ImageRootfs {
    /// Mounts `lowers` (top-most first, as overlay's lowerdir lists them)
    /// under `upper` at `mountpoint`, creating upper, work and mountpoint
    /// when missing. The daemon exits, unmounting, when `watchPID` ends, so
    /// a kill -9 of that process leaves no mount behind. With `joining`, the
    /// mount is made in that process's user and mount namespaces.
    public static func mount(lowers: [String], upper: String, work: String, at mountpoint: String,
                             watchPID: Int32 = getpid(), joining pid: Int32? = nil, controlSocket: String? = nil,
                             unionfsPath: String? = nil) throws -> UnionMount {
        for dir in [upper, work, mountpoint] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        let lowers = try lowersOrEmpty(lowers, besides: mountpoint)
        var options = UnionOptions()
        options.watchPID = watchPID
        if let pid {
            options.joinPID = pid
            options.xattrOwners = true
            options.controlSocket = controlSocket
        }
        do {
            return try UnionMount.mount(lowers: lowers, upper: upper, work: work, at: mountpoint, backend: .fuse,
                                        options: options, unionfsPath: unionfsPath)
        } catch {
            throw ContainerError.io("cannot mount the image's layers: \(error)")
        }
    }

    /// Mounts a container's root: `layers` lowest first (as
    /// `ContainerConfig.RootSource.image` keeps them) under the container's
    /// `upper/` at `merged/`, both in its folder.
    public static func mount(layers: [String], folder: String, at mountpoint: String? = nil, watchPID: Int32 = getpid(),
                             joining pid: Int32? = nil, controlSocket: String? = nil,
                             unionfsPath: String? = nil) throws -> UnionMount {
        // A second mount beside a running container's needs a work folder of its own.
        let work = mountpoint == nil ? folder + "/work" : folder + "/copy-work"
        return try mount(lowers: layers.reversed(), upper: upperPath(folder), work: work,
                         at: mountpoint ?? mergedPath(folder), watchPID: watchPID, joining: pid,
                         controlSocket: controlSocket, unionfsPath: unionfsPath)
    }

    /// The hand-over of a container's root: mounts the same layers in the
    /// namespaces of `pid` (the container's init, waiting for `afterIDMaps`
    /// to return), then lets `mount`, the host's preparation mount, go; it
    /// becomes the container's mount. With the kernel overlay
    /// (`config.usesKernelOverlay`) that mount is the kernel's, made in the
    /// container's namespaces (its root may do that; the host user may not).
    /// Nothing for a `--rootfs` container.
    public static func handOver(_ mount: inout UnionMount?, of config: ContainerConfig, folder: String,
                                to pid: Int32, controlSocket: String?) throws {
        guard let prepared = mount, case .image(let layers) = config.root else { return }
        mount = nil
        mount = try handOver(prepared, to: pid) {
            guard config.usesKernelOverlay else {
                return try self.mount(layers: layers, folder: folder, joining: pid, controlSocket: controlSocket)
            }
            return try mountKernelOverlay(layers: layers, folder: folder, in: pid)
        }
    }

    /// An image with no layer (FROM scratch, an empty import) still needs a
    /// lower: an empty folder beside the mount point.
    static func lowersOrEmpty(_ lowers: [String], besides mountpoint: String) throws -> [String] {
        guard lowers.isEmpty else { return lowers }
        let empty = (mountpoint as NSString).deletingLastPathComponent + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        return [empty]
    }

    /// The kernel overlay over the same folders the preparation mount used
    /// (its upper holds what hutch prepared), made inside `pid`'s namespaces.
    static func mountKernelOverlay(layers: [String], folder: String, in pid: Int32) throws -> UnionMount {
        let target = mergedPath(folder)
        let lowers = try lowersOrEmpty(layers.reversed(), besides: target)
        let work = folder + "/overlay-work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let data = UnionMount.overlayData(lowers: lowers, upper: upperPath(folder), work: work)
        let rc = csandbox_mount_overlay_in(pid, target, data)
        guard rc == 0 else {
            throw ContainerError.io("cannot mount the kernel overlay for the image's layers: \(String(cString: strerror(-rc)))"
                + " (storage.union = \"overlay\" in config.toml; \"fuse\" uses hutch-unionfs)")
        }
        return UnionMount.inNamespace(at: target)
    }

    /// The kernel overlay in `pid`'s namespaces with `upper` over a read-only
    /// hutch-unionfs view of `lowers` (top-most first) at `view`: the view
    /// shows the owners hutch records for the image's files as real ones, and
    /// everything the command writes goes to the kernel's overlay at the
    /// kernel's speed, with no daemon on the way. Copy-ups and chowns give
    /// upper files real owners, so this needs a namespace that maps a whole
    /// subordinate range (no chown supervisor); `OwnerFolding` turns them
    /// back into recorded owners before the upper is committed. Returns the
    /// view's mount (its daemon); the overlay goes with the namespace.
    public static func mountKernelOverlay(over lowers: [String], view: String, upper: String, work: String,
                                          at mountpoint: String, in pid: Int32,
                                          unionfsPath: String? = nil) throws -> UnionMount {
        for dir in [view, upper, work, mountpoint] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        let viewMount: UnionMount
        do {
            viewMount = try UnionMount.mountView(lowers: try lowersOrEmpty(lowers, besides: mountpoint), at: view,
                                                 joining: pid, unionfsPath: unionfsPath)
        } catch {
            throw ContainerError.io("cannot mount the image's layers: \(error)")
        }
        let rc = csandbox_mount_overlay_in(pid, mountpoint, UnionMount.overlayData(lowers: [view], upper: upper, work: work))
        guard rc == 0 else {
            try? viewMount.unmount()
            throw ContainerError.io("cannot mount the kernel overlay over the image's layers: \(String(cString: strerror(-rc)))")
        }
        return viewMount
    }

    /// The hand-over for any mount: `mountInside` makes the container's.
    public static func handOver(_ prepared: UnionMount, to pid: Int32,
                                mountInside: () throws -> UnionMount) throws -> UnionMount {
        let inside: UnionMount
        do { inside = try mountInside() } catch {
            try? prepared.unmount()
            throw error
        }
        try? prepared.unmount()
        return inside
    }

    /// Reads a small file (/etc/passwd) of a container's root without a
    /// mount, as the union shows it: the upper layer first, then `layers`
    /// from the top; a whiteout hides it. For `exec` into a running
    /// container, whose mount lives in the container's own namespace.
    /// (An opaque directory on the way is not looked for: /etc never is one.)
    public static func readFile(_ path: String, layers: [String], folder: String) -> String? {
        for dir in [upperPath(folder)] + layers.reversed() {
            let file = dir + path
            var st = stat()
            guard lstat(file, &st) == 0 else { continue }
            if st.st_mode & S_IFMT == S_IFCHR && st.st_rdev == 0 { return nil }
            if st.st_mode & S_IFMT == S_IFREG && st.st_size == 0, Whiteouts.isWhiteout(path: file) { return nil }
            return try? String(contentsOfFile: file, encoding: .utf8)
        }
        return nil
    }

    public static func upperPath(_ folder: String) -> String { folder + "/upper" }
    public static func mergedPath(_ folder: String) -> String { folder + "/merged" }

    /// Unmounts a container's root if something (a killed monitor's daemon,
    /// stopped with SIGKILL) left it mounted: the daemon is gone by then, so
    /// fusermount3 -u (lazy) is what is left.
    public static func unmountLeftover(folder: String) {
        let merged = mergedPath(folder)
        guard isMountpoint(merged) else { return }
        _ = Subprocess.run(["/usr/bin/fusermount3", "-u", "-z", merged])
    }

    /// True when `path` is the root of a mount (its device differs from its parent's).
    static func isMountpoint(_ path: String) -> Bool {
        var a = stat(), b = stat()
        guard lstat(path, &a) == 0, lstat(path + "/..", &b) == 0 else {
            // ENOTCONN: a FUSE mount whose daemon died.
            return errno == ENOTCONN
        }
        return a.st_dev != b.st_dev
    }
}
