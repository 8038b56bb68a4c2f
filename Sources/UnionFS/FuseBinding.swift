import CFuse3
import Glibc

/// The one filesystem this process serves; set before the session starts.
nonisolated(unsafe) var served: UnionFileSystem!

/// Cache lifetimes: hutch-unionfs is the only writer of its layers while
/// mounted, so the kernel may keep names and attributes for long.
let longTimeout: Double = 86400

@inline(__always) private func fs() -> UnionFileSystem { served }
@inline(__always) private func node(_ ino: fuse_ino_t) -> Node { served.table.node(UInt64(ino)) }
@inline(__always) private func str(_ p: UnsafePointer<CChar>?) -> String { String(cString: p!) }

@inline(__always)
private func attrTimeout(_ st: stat) -> Double {
    // Other names of a hard link change its link count behind the kernel's back.
    (st.st_nlink > 1 && !isDir(st.st_mode)) ? 0 : longTimeout
}

@inline(__always)
private func entry(_ n: Node, _ st: stat) -> fuse_entry_param {
    var e = fuse_entry_param()
    e.ino = fuse_ino_t(served.table.id(of: n))
    e.generation = 1
    e.attr = st
    e.attr_timeout = attrTimeout(st)
    e.entry_timeout = longTimeout
    return e
}

@inline(__always)
private func replyEntry(_ req: fuse_req_t?, _ n: Node, _ st: stat) {
    var e = entry(n, st)
    if fuse_reply_entry(req, &e) != 0 { served.table.forget(UInt64(e.ino), 1) }
}

@inline(__always)
private func caller(_ req: fuse_req_t?) -> Caller {
    let ctx = fuse_req_ctx(req)!.pointee
    return Caller(uid: ctx.uid, gid: ctx.gid)
}

@inline(__always)
private func fd(_ fi: UnsafeMutablePointer<fuse_file_info>?) -> Int32? {
    guard let fi else { return nil }
    return Int32(truncatingIfNeeded: fi.pointee.fh)
}

private func dirHandle(_ fi: UnsafeMutablePointer<fuse_file_info>?) -> DirectoryHandle {
    Unmanaged<DirectoryHandle>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(fi!.pointee.fh))!).takeUnretainedValue()
}

/// Set at init when the kernel lets directories be read without opendir:
/// then `find` and `ls -R` over cached directories never reach the daemon
/// (no OPENDIR/RELEASEDIR pair per directory, the listing cached by the kernel).
nonisolated(unsafe) var withoutOpendir = false

/// The listing readdir serves: the open handle's, or (without opendir) the
/// node's, taken afresh when a read starts at offset 0.
private func listing(_ ino: fuse_ino_t, _ off: off_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) throws(FSError) -> (Node, [MergedEntry]) {
    if let fi, fi.pointee.fh != 0 { let h = dirHandle(fi); return (h.node, h.entries) }
    let n = node(ino)
    if off != 0, let kept = served.table.lock.locked({ n.listing }) { return (n, kept) }
    let entries = try served.listing(n)
    served.table.lock.locked { n.listing = entries }
    return (n, entries)
}

private func readdir(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ size: Int, _ off: off_t,
                     _ fi: UnsafeMutablePointer<fuse_file_info>?, plus: Bool) {
    let dir: Node, entries: [MergedEntry]
    do { (dir, entries) = try listing(ino, off, fi) } catch { fuse_reply_err(req, error.code); return }
    let buf = UnsafeMutablePointer<CChar>.allocate(capacity: size)
    defer { buf.deallocate() }
    var used = 0
    var i = Int(off)
    while i < entries.count {
        let e = entries[i]
        var n = 0
        if plus && e.name != "." && e.name != ".." {
            guard let (child, st) = try? served.lookup(dir, e.name) else { i += 1; continue }
            var ep = entry(child, st)
            n = fuse_add_direntry_plus(req, buf + used, size - used, e.name, &ep, off_t(i + 1))
            if n > size - used { served.table.forget(UInt64(ep.ino), 1); break }
        } else if plus {
            var ep = fuse_entry_param()
            ep.attr.st_ino = __ino_t(e.ino)
            ep.attr.st_mode = S_IFDIR
            n = fuse_add_direntry_plus(req, buf + used, size - used, e.name, &ep, off_t(i + 1))
            if n > size - used { break }
        } else {
            var st = stat()
            st.st_ino = __ino_t(e.ino)
            st.st_mode = mode_t(e.type) << 12
            n = fuse_add_direntry(req, buf + used, size - used, e.name, &st, off_t(i + 1))
            if n > size - used { break }
        }
        used += n
        i += 1
    }
    if i >= entries.count && (fi == nil || fi!.pointee.fh == 0) {
        served.table.lock.locked { dir.listing = nil }
    }
    fuse_reply_buf(req, buf, used)
}

/// The low-level operations table. Every callback replies exactly once.
func makeOperations() -> fuse_lowlevel_ops {
    var ops = fuse_lowlevel_ops()
    ops.`init` = { _, conn in
        guard let conn else { return }
        let wanted: [Int32] = [FUSE_CAP_SPLICE_READ, FUSE_CAP_SPLICE_WRITE, FUSE_CAP_SPLICE_MOVE,
                               FUSE_CAP_ATOMIC_O_TRUNC, FUSE_CAP_CACHE_SYMLINKS, FUSE_CAP_PARALLEL_DIROPS,
                               FUSE_CAP_ASYNC_DIO, FUSE_CAP_ASYNC_READ, FUSE_CAP_READDIRPLUS, FUSE_CAP_READDIRPLUS_AUTO]
        for cap in wanted where conn.pointee.capable & UInt32(cap) != 0 { conn.pointee.want |= UInt32(cap) }
        withoutOpendir = conn.pointee.capable & UInt32(FUSE_CAP_NO_OPENDIR_SUPPORT) != 0
        conn.pointee.want &= ~UInt32(FUSE_CAP_POSIX_ACL)
        conn.pointee.max_write = (1 << 20) - 4096
        conn.pointee.max_readahead = 1 << 20
        conn.pointee.max_background = 64
        conn.pointee.congestion_threshold = 48
        conn.pointee.time_gran = 1
    }
    ops.lookup = { req, parent, name in
        do {
            let (n, st) = try fs().lookup(node(parent), str(name))
            replyEntry(req, n, st)
        } catch {
            if errorCode(error) == ENOENT {
                // A negative entry the kernel may cache: we are the only writer.
                var e = fuse_entry_param()
                e.entry_timeout = longTimeout
                fuse_reply_entry(req, &e)
            } else {
                fuse_reply_err(req, errorCode(error))
            }
        }
    }
    ops.forget = { req, ino, n in
        served.table.forget(UInt64(ino), n)
        fuse_reply_none(req)
    }
    ops.forget_multi = { req, count, list in
        for i in 0..<count { served.table.forget(UInt64(list![i].ino), list![i].nlookup) }
        fuse_reply_none(req)
    }
    ops.getattr = { req, ino, fi in
        do {
            var st = try fs().getattr(node(ino), fd: fd(fi))
            fuse_reply_attr(req, &st, attrTimeout(st))
        } catch { fuse_reply_err(req, errorCode(error)) }
    }
    ops.setattr = { req, ino, attr, toSet, fi in
        do {
            var st = try fs().setattr(node(ino), attr!.pointee, toSet, fd: fd(fi))
            fuse_reply_attr(req, &st, attrTimeout(st))
        } catch { fuse_reply_err(req, errorCode(error)) }
    }
    ops.readlink = { req, ino in
        do {
            let target = try fs().readlink(node(ino))
            fuse_reply_readlink(req, target)
        } catch { fuse_reply_err(req, errorCode(error)) }
    }
    ops.mknod = { req, parent, name, mode, rdev in
        do {
            let (n, st) = try fs().mknod(node(parent), str(name), mode: mode, rdev: rdev, caller: caller(req))
            replyEntry(req, n, st)
        } catch { fuse_reply_err(req, errorCode(error)) }
    }
    ops.mkdir = { req, parent, name, mode in
        do {
            let (n, st) = try fs().mkdir(node(parent), str(name), mode: mode, caller: caller(req))
            replyEntry(req, n, st)
        } catch { fuse_reply_err(req, errorCode(error)) }
    }
    ops.symlink = { req, target, parent, name in
        do {
            let (n, st) = try fs().symlink(node(parent), str(name), target: target!, caller: caller(req))
            replyEntry(req, n, st)
        } catch { fuse_reply_err(req, errorCode(error)) }
    }
    ops.link = { req, ino, parent, name in
        do {
            let (n, st) = try fs().link(node(ino), to: node(parent), str(name))
            replyEntry(req, n, st)
        } catch { fuse_reply_err(req, errorCode(error)) }
    }
    ops.unlink = { req, parent, name in
        do { try fs().unlink(node(parent), str(name)); fuse_reply_err(req, 0) } catch { fuse_reply_err(req, errorCode(error)) }
    }
    ops.rmdir = { req, parent, name in
        do { try fs().rmdir(node(parent), str(name)); fuse_reply_err(req, 0) } catch { fuse_reply_err(req, errorCode(error)) }
    }
    ops.rename = { req, parent, name, newParent, newName, flags in
        do {
            try fs().rename(node(parent), str(name), to: node(newParent), str(newName), flags: flags)
            fuse_reply_err(req, 0)
        } catch { fuse_reply_err(req, errorCode(error)) }
    }
    ops.open = { req, ino, fi in
        do {
            let n = node(ino)
            let d = try fs().open(n, flags: fi!.pointee.flags)
            fi!.pointee.fh = UInt64(d)
            fi!.pointee.keep_cache = 1
            fi!.pointee.noflush = 1
            served.table.opened(n, d)
            if fuse_reply_open(req, fi) != 0 { served.table.closed(n, d); close(d) }
        } catch { fuse_reply_err(req, errorCode(error)) }
    }
    ops.create = { req, parent, name, mode, fi in
        do {
            let (n, st, d) = try fs().create(node(parent), str(name), mode: mode, flags: fi!.pointee.flags, caller: caller(req))
            fi!.pointee.fh = UInt64(d)
            fi!.pointee.keep_cache = 1
            fi!.pointee.noflush = 1
            var e = entry(n, st)
            served.table.opened(n, d)
            if fuse_reply_create(req, &e, fi) != 0 { served.table.closed(n, d); close(d); served.table.forget(UInt64(e.ino), 1) }
        } catch { fuse_reply_err(req, errorCode(error)) }
    }
    ops.read = { req, _, size, off, fi in
        hutch_reply_fd_data(req, fd(fi)!, size, off)
    }
    ops.write_buf = { req, _, bufv, off, fi in
        let n = hutch_write_bufvec(fd(fi)!, off, bufv)
        if n < 0 { fuse_reply_err(req, Int32(-n)) } else { fuse_reply_write(req, Int(n)) }
    }
    ops.flush = { req, _, _ in fuse_reply_err(req, 0) }
    ops.release = { req, ino, fi in
        served.table.closed(node(ino), fd(fi)!)
        close(fd(fi)!)
        fuse_reply_err(req, 0)
    }
    ops.fsync = { req, _, datasync, fi in
        let r = datasync != 0 ? fdatasync(fd(fi)!) : fsync(fd(fi)!)
        fuse_reply_err(req, r == 0 ? 0 : errno)
    }
    ops.fallocate = { req, _, mode, off, len, fi in
        let r = hutch_fallocate(fd(fi)!, mode, off, len)
        fuse_reply_err(req, r == 0 ? 0 : errno)
    }
    ops.lseek = { req, _, off, whence, fi in
        let r = lseek(fd(fi)!, off, whence)
        if r < 0 { fuse_reply_err(req, errno) } else { fuse_reply_lseek(req, r) }
    }
    ops.opendir = { req, ino, fi in
        if withoutOpendir { fuse_reply_err(req, ENOSYS); return }
        do {
            let n = node(ino)
            let h = DirectoryHandle(node: n)
            h.entries = try fs().listing(n)
            fi!.pointee.fh = UInt64(UInt(bitPattern: Unmanaged.passRetained(h).toOpaque()))
            fi!.pointee.cache_readdir = 1
            fi!.pointee.keep_cache = 1
            fuse_reply_open(req, fi)
        } catch { fuse_reply_err(req, errorCode(error)) }
    }
    ops.readdir = { req, ino, size, off, fi in readdir(req, ino, size, off, fi, plus: false) }
    ops.readdirplus = { req, ino, size, off, fi in readdir(req, ino, size, off, fi, plus: true) }
    ops.releasedir = { req, _, fi in
        if let fi, fi.pointee.fh != 0 {
            Unmanaged<DirectoryHandle>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(fi.pointee.fh))!).release()
        }
        fuse_reply_err(req, 0)
    }
    ops.fsyncdir = { req, _, _, _ in fuse_reply_err(req, 0) }
    ops.statfs = { req, _ in
        do {
            var s = try fs().statfs()
            fuse_reply_statfs(req, &s)
        } catch { fuse_reply_err(req, errorCode(error)) }
    }
    ops.getxattr = { req, ino, name, size in
        do {
            if size == 0 {
                let n = try fs().getxattr(node(ino), name!, into: nil, size: 0)
                fuse_reply_xattr(req, n)
            } else {
                let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
                defer { buf.deallocate() }
                let n = try fs().getxattr(node(ino), name!, into: buf, size: size)
                fuse_reply_buf(req, buf.assumingMemoryBound(to: CChar.self), n)
            }
        } catch { fuse_reply_err(req, errorCode(error)) }
    }
    ops.listxattr = { req, ino, size in
        do {
            let names = try fs().listxattr(node(ino))
            if size == 0 { fuse_reply_xattr(req, names.count) }
            else if names.count > size { fuse_reply_err(req, ERANGE) }
            else { fuse_reply_buf(req, names, names.count) }
        } catch { fuse_reply_err(req, errorCode(error)) }
    }
    ops.setxattr = { req, ino, name, value, size, flags in
        do { try fs().setxattr(node(ino), name!, value, size: size, flags: flags); fuse_reply_err(req, 0) }
        catch { fuse_reply_err(req, errorCode(error)) }
    }
    ops.removexattr = { req, ino, name in
        do { try fs().removexattr(node(ino), name!); fuse_reply_err(req, 0) } catch { fuse_reply_err(req, errorCode(error)) }
    }
    return ops
}
