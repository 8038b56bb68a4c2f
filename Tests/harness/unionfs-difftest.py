#!/usr/bin/env python3
"""Differential test of hutch-unionfs against the kernel overlay.

Run as root of a user namespace (`unshare -Urm python3 unionfs-difftest.py
--unionfs BIN --dir DIR`). Builds the same lower layers for both, mounts the
kernel overlay (-o userxattr) and hutch-unionfs over them with separate
uppers, runs the same operations on both and compares every result (value
or errno) and then the whole tree: names, types, modes, sizes, contents,
owners, file link counts, xattrs. Directory link counts are not compared
(they differ between the kernel and any FUSE filesystem).

The kernel overlay answers EXDEV when renaming a directory that exists in a
lower layer (no redirect_dir in a user namespace); hutch-unionfs renames it.
There, the kernel side does what mv does (copy, then delete) and the results
must agree. Exit status 0 when everything matched.
"""
import argparse, errno, hashlib, os, random, shutil, stat, subprocess, sys, time

XATTR_SKIP = ("user.overlay.", "trusted.overlay.")


def result(fn, *a):
    try:
        return ("ok", fn(*a))
    except OSError as e:
        return ("err", errno.errorcode.get(e.errno, str(e.errno)))


# ---- operations: each takes the mount root and relative paths ----

def op_stat(r, p):
    st = os.lstat(os.path.join(r, p))
    t = stat.S_IFMT(st.st_mode)
    return (t, stat.S_IMODE(st.st_mode), st.st_size if t != stat.S_IFDIR else 0,
            st.st_nlink if t != stat.S_IFDIR else 0, st.st_uid, st.st_gid)


def op_read(r, p):
    fd = os.open(os.path.join(r, p), os.O_RDONLY | os.O_NONBLOCK)
    try:  # (open(fd) of a directory raises and leaves fd open, keeping the mount busy)
        h = hashlib.sha256()
        while chunk := os.read(fd, 1 << 20):
            h.update(chunk)
        return h.hexdigest()[:16]
    finally:
        os.close(fd)


def op_write(r, p, how, off, data):
    flags = {"create": os.O_CREAT | os.O_EXCL | os.O_WRONLY, "append": os.O_WRONLY | os.O_APPEND,
             "pwrite": os.O_RDWR, "trunc": os.O_WRONLY | os.O_TRUNC,
             "creat": os.O_CREAT | os.O_WRONLY | os.O_TRUNC}[how]
    # O_NONBLOCK: a FIFO picked by the random sequence must not hang the test.
    fd = os.open(os.path.join(r, p), flags | os.O_NONBLOCK, 0o644)
    try:
        if how == "pwrite":
            os.pwrite(fd, data, off)
        else:
            os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return op_stat(r, p)


def op_truncate(r, p, size):
    os.truncate(os.path.join(r, p), size)
    return op_stat(r, p)


def op_unlink(r, p): os.unlink(os.path.join(r, p))
def op_rmdir(r, p): os.rmdir(os.path.join(r, p))
def op_mkdir(r, p, mode): os.mkdir(os.path.join(r, p), mode); return op_stat(r, p)
def op_link(r, a, b): os.link(os.path.join(r, a), os.path.join(r, b)); return (op_stat(r, a), op_stat(r, b))
def op_symlink(r, target, p): os.symlink(target, os.path.join(r, p)); return os.readlink(os.path.join(r, p))
def op_readlink(r, p): return os.readlink(os.path.join(r, p))
def op_chmod(r, p, mode): os.chmod(os.path.join(r, p), mode); return op_stat(r, p)
def op_chown(r, p, u, g): os.lchown(os.path.join(r, p), u, g); return op_stat(r, p)
def op_mkfifo(r, p): os.mkfifo(os.path.join(r, p), 0o644); return op_stat(r, p)


def op_utime(r, p, t):
    os.utime(os.path.join(r, p), (t, t), follow_symlinks=False)
    return int(os.lstat(os.path.join(r, p)).st_mtime)


def op_mtime(r, p): return int(os.lstat(os.path.join(r, p)).st_mtime)


def op_openw(r, p):
    """Open for writing and close without writing: a stub gets its data, nothing else changes."""
    os.close(os.open(os.path.join(r, p), os.O_WRONLY | os.O_NONBLOCK))
    return op_stat(r, p)


def op_unlinkedfstat(r, p):
    """fstat of a file unlinked while open (dpkg-deb does this): the kernel asks without a handle."""
    fd = os.open(os.path.join(r, p), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        os.unlink(os.path.join(r, p))
        os.write(fd, b"x" * 100)
        st = os.fstat(fd)
        return (st.st_size, st.st_nlink, stat.S_IMODE(st.st_mode))
    finally:
        os.close(fd)


def op_setxattr(r, p, name, value):
    os.setxattr(os.path.join(r, p), name, value, follow_symlinks=False)
    return op_getxattr(r, p, name)


def op_getxattr(r, p, name): return os.getxattr(os.path.join(r, p), name, follow_symlinks=False)
def op_removexattr(r, p, name): os.removexattr(os.path.join(r, p), name, follow_symlinks=False)


def op_listxattr(r, p):
    return sorted(x for x in os.listxattr(os.path.join(r, p), follow_symlinks=False) if not x.startswith(XATTR_SKIP))


def op_listdir(r, p):
    with os.scandir(os.path.join(r, p)) as it:
        return sorted((e.name, e.is_dir(follow_symlinks=False), e.is_symlink()) for e in it)


def op_rename(r, a, b, kernel_side):
    src, dst = os.path.join(r, a), os.path.join(r, b)
    try:
        os.rename(src, dst)
    except OSError as e:
        if e.errno != errno.EXDEV or not kernel_side:
            raise
        # What mv does when rename(2) says EXDEV: the kernel overlay's answer for
        # lower directories; hutch-unionfs must rename them itself.
        if os.path.lexists(dst):
            os.rmdir(dst)
        subprocess.run(["cp", "-a", "--preserve=all", src, dst], check=True)
        # rename(2) keeps every mode, but cp's mkdir into a setgid parent
        # inherits S_ISGID and cp -a does not clear it on directories: put
        # the source's modes back (times last, since chmod leaves them alone).
        for dirpath, dirs, files in os.walk(src):
            for d in [dirpath] + [os.path.join(dirpath, x) for x in dirs]:
                if os.path.islink(d):
                    continue
                twin = os.path.normpath(os.path.join(dst, os.path.relpath(d, src)))
                os.chmod(twin, stat.S_IMODE(os.lstat(d).st_mode))
        # cp keeps hard links inside the tree only; a rename keeps them all.
        for dirpath, dirs, files in os.walk(src):
            for name in files:
                f = os.path.join(dirpath, name)
                if os.lstat(f).st_nlink > 1:
                    twin = os.path.join(dst, os.path.relpath(f, src))
                    os.unlink(twin)
                    os.link(f, twin)
        shutil.rmtree(src)
    return (result(op_stat, r, b), os.path.lexists(src))


OPS = {n[3:]: f for n, f in globals().items() if n.startswith("op_")}


# ---- trees ----

def tree(root):
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            t = stat.S_IFMT(st.st_mode)
            info = [t, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid]
            if t == stat.S_IFREG:
                with open(full, "rb") as f:
                    info += [st.st_size, st.st_nlink, hashlib.sha256(f.read()).hexdigest()[:16]]
            elif t == stat.S_IFLNK:
                info += [os.readlink(full)]
            if t != stat.S_IFLNK:
                xs = {}
                for x in os.listxattr(full, follow_symlinks=False):
                    if not x.startswith(XATTR_SKIP):
                        xs[x] = os.getxattr(full, x, follow_symlinks=False)
                info += [sorted(xs.items())]
            out[rel] = info
    return out


def diff_trees(a, b):
    msgs = []
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            msgs.append(f"  {k}: kernel={a.get(k)} hutch={b.get(k)}")
    return msgs


# ---- fixture ----

def make_lowers(base):
    l1, l2, l3 = (os.path.join(base, n) for n in ("l1", "l2", "l3"))
    for d in (l1, l2, l3):
        os.makedirs(d)
    def w(path, data, mode=0o644):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
    # bottom layer
    w(f"{l3}/etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
    w(f"{l3}/etc/hosts", b"127.0.0.1 localhost\n")
    w(f"{l3}/bin/tool", b"#!/bin/sh\necho tool\n", 0o755)
    w(f"{l3}/data/big", os.urandom(300000))
    w(f"{l3}/data/small", b"small\n")
    w(f"{l3}/deep/a/b/c/file", b"deep\n")
    w(f"{l3}/gone/x", b"x\n")
    w(f"{l3}/opq/below", b"hidden by opaque\n")
    w(f"{l3}/merged/from3", b"3\n")
    w(f"{l3}/hard1", b"linked\n")
    os.link(f"{l3}/hard1", f"{l3}/hard2")
    os.symlink("etc/passwd", f"{l3}/link-passwd")
    os.symlink("nowhere", f"{l3}/dangling")
    with open(f"{l3}/data/sparse", "wb") as f:
        f.truncate(1 << 22)
        f.seek(1 << 21)
        f.write(b"middle")
    os.setxattr(f"{l3}/data/small", "user.note", b"bottom")
    os.mkfifo(f"{l3}/fifo")
    # middle layer
    w(f"{l2}/merged/from2", b"2\n")
    w(f"{l2}/etc/hosts", b"127.0.0.1 localhost middle\n")
    w(f"{l2}/opq/above", b"above\n")
    os.setxattr(f"{l2}/opq", "user.overlay.opaque", b"y")
    w(f"{l2}/deep/a/only2", b"only in 2\n")
    os.setxattr(f"{l2}/deep/a", "user.mid", b"m")
    # top lower: a whiteout hides /gone
    w(f"{l1}/merged/from1", b"1\n")
    w(f"{l1}/topfile", b"top\n", 0o600)
    os.mknod(f"{l1}/gone", stat.S_IFCHR | 0o000, 0)
    os.mkdir(f"{l1}/emptydir")
    return [l1, l2, l3]


class Pair:
    def __init__(self, base, unionfs, lowers):
        self.base = base
        self.unionfs = unionfs
        self.lowers = lowers
        self.roots = []
        for name in ("k", "h"):
            for d in ("u", "w", "m"):
                os.makedirs(os.path.join(base, name + d))
        self.hutch_upper = os.path.join(base, "hu")
        # keep_stubs: a remount must find the metadata-only copies on disk.
        self.keep_stubs = True
        self.mount()

    def mount(self):
        lo = ":".join(self.lowers)
        k = os.path.join(self.base, "k")
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                        f"lowerdir={lo},upperdir={k}u,workdir={k}w,userxattr", k + "m"], check=True)
        h = os.path.join(self.base, "h")
        keep = ",keep_stubs" if self.keep_stubs else ""
        subprocess.run([self.unionfs, "-o", f"lowerdir={lo},upperdir={h}u,workdir={h}w,watch_pid={os.getpid()}{keep}", h + "m"],
                       check=True)
        self.roots = [k + "m", h + "m"]

    def close(self):
        for r in self.roots:
            if subprocess.run(["umount", r], stderr=subprocess.DEVNULL).returncode != 0:
                subprocess.run(["umount", "-l", r])

    def remount(self, keep_stubs=True):
        """A later mount of the same uppers: what the first left on disk must be enough.
        The next daemon keeps its stubs or fills them in when it ends."""
        self.close()
        self.wait_daemon_gone()
        self.keep_stubs = keep_stubs
        self.mount()
        return True

    def wait_daemon_gone(self):
        """A daemon fills its stubs in after the unmount returns: wait for it to exit."""
        upper = (self.hutch_upper + ",").encode()
        deadline = time.time() + 20
        while time.time() < deadline:
            busy = False
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        if upper in f.read():
                            busy = True
                except OSError:
                    pass
            if not busy:
                return
            time.sleep(0.02)
        raise RuntimeError("hutch-unionfs did not exit after its unmount")


# ---- sequences ----

HAND = {
    "lookup and readdir merge": [("listdir", "."), ("listdir", "merged"), ("listdir", "opq"), ("stat", "gone"),
                                 ("listdir", "deep/a"), ("read", "etc/hosts"), ("readlink", "link-passwd"),
                                 ("stat", "dangling"), ("stat", "fifo"), ("listdir", "emptydir"),
                                 ("getxattr", "deep/a", "user.mid"), ("listxattr", "data/small")],
    "copy-up on write": [("write", "etc/passwd", "append", 0, b"new:x:1:1::/:/bin/sh\n"), ("read", "etc/passwd"),
                         ("write", "data/big", "pwrite", 1000, b"patched"), ("read", "data/big"),
                         ("write", "etc/hosts", "trunc", 0, b"replaced\n"), ("read", "etc/hosts"),
                         ("stat", "data/small"), ("getxattr", "data/small", "user.note")],
    "sparse copy-up": [("write", "data/sparse", "append", 0, b"end"), ("stat", "data/sparse"),
                       ("read", "data/sparse")],
    "create and remove": [("write", "newfile", "create", 0, b"hello"), ("write", "newfile", "create", 0, b"again"),
                          ("mkdir", "newdir", 0o755), ("mkdir", "newdir", 0o755), ("write", "newdir/f", "creat", 0, b"f"),
                          ("rmdir", "newdir"), ("unlink", "newdir/f"), ("rmdir", "newdir"), ("stat", "newdir"),
                          ("unlink", "topfile"), ("stat", "topfile"), ("write", "topfile", "create", 0, b"back"),
                          ("read", "topfile"), ("unlink", "data"), ("rmdir", "etc/passwd"), ("rmdir", "etc"),
                          ("unlinkedfstat", "scratch"), ("unlinkedfstat", "etc/hosts")],
    "whiteouts and opaque dirs": [("unlink", "merged/from3"), ("listdir", "merged"), ("unlink", "merged/from2"),
                                  ("unlink", "merged/from1"), ("rmdir", "merged"), ("stat", "merged"),
                                  ("mkdir", "merged", 0o700), ("listdir", "merged"), ("mkdir", "gone", 0o755),
                                  ("listdir", "gone"), ("write", "opq/new", "create", 0, b"n"), ("listdir", "opq"),
                                  ("rmdir", "emptydir"), ("write", "emptydir", "create", 0, b"now a file"),
                                  ("stat", "emptydir")],
    "rename": [("rename", "etc/hosts", "hosts2"), ("listdir", "etc"), ("read", "hosts2"),
               ("rename", "data/small", "etc/passwd"), ("read", "etc/passwd"), ("listxattr", "etc/passwd"),
               ("rename", "deep", "deep2"), ("listdir", "deep2/a"), ("read", "deep2/a/b/c/file"),
               ("rename", "bin", "etc"), ("rename", "emptydir", "etc"), ("rename", "emptydir", "newempty"),
               ("mkdir", "target", 0o755), ("rename", "opq", "target"), ("listdir", "target"),
               ("rename", "link-passwd", "link2"), ("readlink", "link2"), ("rename", "fifo", "fifo2"),
               ("rename", "nonexistent", "x")],
    # rename(2) never changes a mode: a lower directory keeps its setgid bit
    # when renamed, and does not take one from a setgid parent (only mkdir
    # inherits it).
    "setgid directories": [("chmod", "deep/a", 0o2755), ("rename", "deep/a", "moved"), ("stat", "moved"),
                           ("listdir", "moved"), ("mkdir", "sg", 0o755), ("chmod", "sg", 0o2755),
                           ("mkdir", "sg/inherits", 0o755), ("stat", "sg/inherits"),
                           ("rename", "bin", "sg/bin"), ("stat", "sg/bin"), ("rename", "moved", "sg/moved"),
                           ("stat", "sg/moved"), ("rename", "merged", "sg/merged"), ("stat", "sg/merged"),
                           ("listdir", "sg/merged")],
    # A chown or chmod to what a lower file already shows needs no copy-up,
    # but must still clear setuid on chown as the kernel does.
    "unchanged attributes": [("chown", "etc/hosts", 0, 0), ("stat", "etc/hosts"), ("chmod", "data/small", 0o644),
                             ("stat", "data/small"), ("getxattr", "data/small", "user.note"),
                             ("chown", "merged", 0, 0), ("listdir", "merged"), ("chmod", "bin/tool", 0o6755),
                             ("chown", "bin/tool", 0, 0), ("stat", "bin/tool"), ("chown", "etc/passwd", -1, 0),
                             ("stat", "etc/passwd")],
    "attributes": [("chmod", "bin/tool", 0o4755), ("stat", "bin/tool"), ("chmod", "etc", 0o700),
                   ("utime", "etc/passwd", 1000000), ("truncate", "data/big", 10), ("truncate", "data/big", 100000),
                   ("read", "data/big"), ("chown", "etc/hosts", 0, 0), ("stat", "etc/hosts"),
                   ("truncate", "etc", 0)],
    "xattrs": [("setxattr", "etc/passwd", "user.a", b"1"), ("getxattr", "etc/passwd", "user.a"),
               ("listxattr", "etc/passwd"), ("removexattr", "etc/passwd", "user.a"),
               ("getxattr", "etc/passwd", "user.a"), ("removexattr", "data/small", "user.note"),
               ("listxattr", "data/small"), ("getxattr", "bin/tool", "security.capability"),
               ("setxattr", "link-passwd", "user.x", b"1"), ("setxattr", "merged", "user.dir", b"d"),
               ("listdir", "merged")],
    # Metadata-only copy-up: hutch-unionfs leaves the data below (a stub,
    # checked with "stub") until the first open for write; what shows must
    # not differ from the kernel overlay's full copy-up, also after a remount.
    "metadata-only copy-up": [("chmod", "data/big", 0o600), ("stub", "data/big", True), ("stat", "data/big"),
                              ("read", "data/big"), ("mtime", "data/big"), ("remount",), ("stub", "data/big", True),
                              ("read", "data/big"), ("stat", "data/big"),
                              ("write", "data/big", "pwrite", 5, b"patched"), ("stub", "data/big", False),
                              ("read", "data/big"),
                              ("utime", "etc/hosts", 2000000), ("stub", "etc/hosts", True), ("read", "etc/hosts"),
                              ("openw", "etc/hosts"), ("stub", "etc/hosts", False), ("mtime", "etc/hosts"),
                              ("read", "etc/hosts"),
                              ("setxattr", "data/small", "user.b", b"2"), ("stub", "data/small", True),
                              ("read", "data/small"), ("listxattr", "data/small"), ("getxattr", "data/small", "user.note"),
                              ("chmod", "etc/passwd", 0o640), ("write", "etc/passwd", "append", 0, b"x:x:1:1::/:/bin/sh\n"),
                              ("read", "etc/passwd"), ("stat", "etc/passwd"),
                              ("chmod", "data/sparse", 0o600), ("stub", "data/sparse", True), ("read", "data/sparse"),
                              ("truncate", "data/sparse", 3000000), ("stub", "data/sparse", False), ("read", "data/sparse"),
                              ("chmod", "deep/a/b/c/file", 0o640), ("write", "deep/a/b/c/file", "trunc", 0, b"new\n"),
                              ("read", "deep/a/b/c/file"), ("stat", "deep/a/b/c/file"),
                              ("chmod", "bin/tool", 0o4755), ("write", "bin/tool", "append", 0, b"#"), ("stat", "bin/tool")],
    "metadata-only copy-up, rename and links": [
        ("chmod", "merged/from3", 0o600), ("rename", "merged/from3", "moved3"), ("stub", "moved3", True),
        ("read", "moved3"), ("remount",), ("read", "moved3"), ("write", "moved3", "append", 0, b"more"),
        ("read", "moved3"), ("stat", "moved3"),
        ("chmod", "data/small", 0o600), ("link", "data/small", "small-link"), ("stub", "small-link", True),
        ("remount",), ("read", "small-link"), ("write", "small-link", "append", 0, b"via link"),
        ("read", "data/small"), ("stat", "data/small"), ("stub", "data/small", False),
        ("link", "etc/hosts", "hosts-link"), ("stub", "hosts-link", True), ("truncate", "etc/hosts", 0),
        ("read", "hosts-link"), ("stat", "hosts-link"),
        ("utime", "deep/a/b/c/file", 3000000), ("rename", "deep", "deep3"), ("stub", "deep3/a/b/c/file", True),
        ("remount",), ("read", "deep3/a/b/c/file"), ("mtime", "deep3/a/b/c/file"),
        ("write", "deep3/a/b/c/file", "append", 0, b"+"), ("read", "deep3/a/b/c/file"),
        ("chmod", "topfile", 0o644), ("unlink", "topfile"), ("stat", "topfile")],
    # Without keep_stubs a daemon copies its stubs' data in when it ends, so
    # the upper is whole for anything that reads it next.
    "stubs filled in at unmount": [
        ("remount", False), ("chmod", "data/big", 0o600), ("utime", "etc/hosts", 4000000),
        ("chmod", "deep/a/b/c/file", 0o600), ("rename", "deep/a", "a2"), ("link", "data/small", "small2"),
        ("stub", "data/big", True), ("stub", "a2/b/c/file", True), ("stub", "small2", True),
        ("remount", True), ("stub", "data/big", False), ("stub", "etc/hosts", False), ("stub", "a2/b/c/file", False),
        ("stub", "small2", False), ("read", "data/big"), ("mtime", "etc/hosts"), ("stat", "a2/b/c/file"),
        ("read", "small2"), ("stat", "data/small")],
    "links and symlinks": [("link", "bin/tool", "tool-link"), ("stat", "bin/tool"), ("write", "tool-link", "append", 0, b"#"),
                           ("read", "bin/tool"), ("unlink", "bin/tool"), ("stat", "tool-link"),
                           ("symlink", "etc/hosts", "sl"), ("readlink", "sl"), ("symlink", "x", "sl"),
                           ("link", "data", "data-link"), ("mkfifo", "fifo-new"), ("stat", "fifo-new")],
}


def is_stub(upper_path):
    return "user.hutch.datasource" in os.listxattr(upper_path, follow_symlinks=False)


def run_ops(pair, ops, label, log):
    ok = True
    for i, op in enumerate(ops):
        name, args = op[0], op[1:]
        res = []
        if name == "remount":
            res = [result(pair.remount, *args)] * 2
        elif name == "stub":
            # Only hutch-unionfs makes stubs: the kernel side states what is expected.
            res = [("ok", args[1]), result(is_stub, os.path.join(pair.hutch_upper, args[0]))]
        for side, root in enumerate(pair.roots if name not in ("remount", "stub") else []):
            if name == "rename":
                res.append(result(OPS[name], root, *args, side == 0))
            else:
                res.append(result(OPS[name], root, *args))
        if res[0] != res[1]:
            log.append(f"[{label}] op {i} {op!r}: kernel={res[0]} hutch={res[1]}")
            ok = False
            break
    return ok


def random_ops(rng, root, n):
    """One operation chosen from what the kernel side's tree holds now."""
    paths = [p for p in tree(root).keys()]
    dirs = ["."] + [p for p in paths if os.path.isdir(os.path.join(root, p)) and not os.path.islink(os.path.join(root, p))]
    # Names a hard link of a lower file would diverge on (the kernel breaks
    # such links on copy-up, hutch-unionfs keeps them): left alone here.
    paths = [p for p in paths if not p.startswith("hard")]
    # Opening a FIFO blocks both sides: data operations only on regular files.
    regular = [p for p in paths if stat.S_ISREG(os.lstat(os.path.join(root, p)).st_mode)]
    new = lambda: os.path.normpath(os.path.join(rng.choice(dirs), "n%d" % rng.randrange(8)))
    pick = lambda: rng.choice(paths) if paths and rng.random() < 0.8 else new()
    kind = rng.choice(["stat", "read", "write", "write", "truncate", "unlink", "rmdir", "mkdir", "rename",
                       "rename", "link", "symlink", "chmod", "utime", "setxattr", "removexattr", "listdir",
                       "listxattr", "getxattr", "mkfifo"])
    pickreg = lambda: rng.choice(regular) if regular and rng.random() < 0.8 else new()
    if rng.random() < 0.01:
        return ("remount",)  # the stubs and whiteouts left on disk must be enough
    if kind == "read":
        return ("read", pickreg())
    if kind == "write":
        how = rng.choice(["create", "append", "pwrite", "trunc", "creat"])
        return ("write", pickreg(), how, rng.randrange(0, 5000), os.urandom(rng.randrange(0, 3000)))
    if kind == "truncate":
        return ("truncate", pickreg(), rng.randrange(0, 10000))
    if kind == "mkdir":
        return ("mkdir", new(), rng.choice([0o755, 0o700, 0o777]))
    if kind in ("rename", "link"):
        return (kind, pick(), pick() if rng.random() < 0.3 else new())
    if kind == "symlink":
        return ("symlink", rng.choice(["a", "../b", "/etc/passwd"]), new())
    if kind == "chmod":
        # No setuid here: the kernel overlay keeps or drops it on a later
        # truncate depending on which of a hard link's inodes it cached (the
        # hand-written sequences check setuid on their own).
        return ("chmod", pick(), rng.choice([0o644, 0o600, 0o755, 0o1777, 0o2755]))
    if kind == "utime":
        return ("utime", pick(), rng.randrange(1, 1 << 30))
    if kind in ("setxattr",):
        return ("setxattr", pick(), "user.r%d" % rng.randrange(3), os.urandom(rng.randrange(1, 40)))
    if kind in ("removexattr", "getxattr"):
        return (kind, pick(), "user.r%d" % rng.randrange(3))
    if kind in ("listdir",):
        return ("listdir", rng.choice(dirs))
    return (kind, pick())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--unionfs", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--ops", type=int, default=2000)
    ap.add_argument("--only", default=None, help="run one hand-written sequence")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    os.umask(0o022)
    log = []
    failed = False
    base = os.path.join(args.dir, "fixture")
    lowers = make_lowers(base)
    n = 0
    for label, ops in HAND.items():
        if args.only and label != args.only:
            continue
        work = os.path.join(args.dir, "run%d" % n)
        n += 1
        pair = Pair(work, args.unionfs, lowers)
        bad = False
        try:
            if not run_ops(pair, ops, label, log):
                bad = True
            d = diff_trees(tree(pair.roots[0]), tree(pair.roots[1]))
            if d:
                bad = True
                log.append(f"[{label}] trees differ:\n" + "\n".join(d[:30]))
        finally:
            pair.close()
        failed = failed or bad
        print(f"sequence {label!r}: {'FAILED' if bad else 'ok'}", flush=True)
    if not args.only and args.ops > 0:
        rng = random.Random(seed)
        pair = Pair(os.path.join(args.dir, "random"), args.unionfs, lowers)
        try:
            done = 0
            t0 = time.time()
            for i in range(args.ops):
                op = random_ops(rng, pair.roots[0], i)
                if os.environ.get("TRACE"):
                    print(i, repr(op)[:150])
                if not run_ops(pair, [op], f"random seed={seed} step {i}", log):
                    failed = True
                    break
                done += 1
                if i % 250 == 249:
                    d = diff_trees(tree(pair.roots[0]), tree(pair.roots[1]))
                    if d:
                        failed = True
                        log.append(f"[random seed={seed} after step {i}] trees differ:\n" + "\n".join(d[:30]))
                        break
            d = diff_trees(tree(pair.roots[0]), tree(pair.roots[1]))
            if d and not failed:
                failed = True
                log.append(f"[random seed={seed}] trees differ at the end:\n" + "\n".join(d[:30]))
            print(f"random: {done} operations, seed {seed}, {time.time() - t0:.1f} s: {'FAILED' if failed else 'ok'}")
        finally:
            pair.close()
    for line in log:
        print(line)
    if failed:
        print(f"FAILED (seed {seed}; rerun with --seed {seed})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
