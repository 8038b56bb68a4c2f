/* The file-tree interpreter: runs the parent's ordered list of mount steps
 * inside the new mount namespace. Async-signal-safe, no allocation. */
#define _GNU_SOURCE
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

/* In a user namespace a remount must keep the flags the kernel locked on the
 * mount (nosuid, nodev, noexec, the atime family), or it fails with EPERM. */
static unsigned long locked_flags(const char *path) {
    struct statfs st;
    if (statfs(path, &st) != 0) return 0;
    unsigned long f = 0;
    if (st.f_flags & ST_NOSUID) f |= MS_NOSUID;
    if (st.f_flags & ST_NODEV) f |= MS_NODEV;
    if (st.f_flags & ST_NOEXEC) f |= MS_NOEXEC;
    if (st.f_flags & ST_NOATIME) f |= MS_NOATIME;
    if (st.f_flags & ST_NODIRATIME) f |= MS_NODIRATIME;
    if (st.f_flags & ST_RELATIME) f |= MS_RELATIME;
    return f;
}

static int remount_readonly(const char *path, unsigned long extra) {
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | locked_flags(path) | extra;
    return mount(NULL, path, NULL, flags, NULL);
}

static int mkdir_p(const char *path, mode_t mode) {
    char buf[PATH_MAX];
    if (csandbox_strlcpy(buf, path, sizeof buf) >= sizeof buf) { errno = ENAMETOOLONG; return -1; }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, mode) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, mode) != 0 && errno != EEXIST) return -1;
    return 0;
}

static int mkfile(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd >= 0) { close(fd); return 0; }
    /* Already there (a read-only root, or a directory): fine as a mount point. */
    struct stat st;
    return lstat(path, &st) == 0 ? 0 : -1;
}

static int mask(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    if (S_ISDIR(st.st_mode))
        return mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0");
    return mount("/dev/null", path, NULL, MS_BIND, NULL);
}

static int run_op(const struct csandbox_op *op) {
    switch (op->kind) {
    case CSANDBOX_OP_PROPAGATION:
        return mount(NULL, op->target, NULL, op->flags, NULL);
    case CSANDBOX_OP_BIND:
        if (mount(op->source, op->target, NULL, MS_BIND | (op->flags & MS_REC), NULL) != 0) return -1;
        if (op->flags & MS_RDONLY) return remount_readonly(op->target, op->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC));
        return 0;
    case CSANDBOX_OP_MOUNT:
        return mount(op->source, op->target, op->fstype, op->flags, op->data);
    case CSANDBOX_OP_MKDIR:
        return mkdir_p(op->target, op->flags ? (mode_t)op->flags : 0755);
    case CSANDBOX_OP_MKFILE:
        return mkfile(op->target);
    case CSANDBOX_OP_SYMLINK:
        if (symlink(op->source, op->target) != 0 && errno != EEXIST) return -1;
        return 0;
    case CSANDBOX_OP_CHDIR:
        return chdir(op->target);
    case CSANDBOX_OP_PIVOT:
        /* runc's trick: no put_old folder needed; the old root stacks under
         * the new one and is detached at once. */
        if (syscall(SYS_pivot_root, ".", ".") != 0) return -1;
        if (umount2(".", MNT_DETACH) != 0) return -1;
        return chdir("/");
    case CSANDBOX_OP_REMOUNT_RO:
        return remount_readonly(op->target, op->flags);
    case CSANDBOX_OP_MASK:
        return mask(op->target);
    case CSANDBOX_OP_READONLY:
        if (mount(op->target, op->target, NULL, MS_BIND | MS_REC, NULL) != 0) return -1;
        return remount_readonly(op->target, op->flags);
    }
    errno = EINVAL;
    return -1;
}

int csandbox_run_ops(const struct csandbox_spec *spec, int error_fd) {
    for (int i = 0; i < spec->nops; i++) {
        const struct csandbox_op *op = &spec->ops[i];
        if (run_op(op) == 0) continue;
        int err = errno;
        if (op->optional && (err == ENOENT || err == ENOTDIR)) continue;
        char detail[sizeof(((struct csandbox_error *)0)->detail)];
        detail[0] = 0;
        static const char *names[] = {"", "make private", "bind", "mount", "mkdir", "create", "symlink",
                                      "chdir", "pivot_root", "remount read-only", "mask", "make read-only"};
        if (op->kind > 0 && op->kind < (int)(sizeof names / sizeof names[0]))
            csandbox_strlcpy(detail, names[op->kind], sizeof detail);
        if (op->source && (op->kind == CSANDBOX_OP_BIND || op->kind == CSANDBOX_OP_MOUNT)) {
            csandbox_strlcat(detail, " ", sizeof detail);
            csandbox_strlcat(detail, op->source, sizeof detail);
            csandbox_strlcat(detail, " on", sizeof detail);
        }
        csandbox_strlcat(detail, " ", sizeof detail);
        if (op->target && op->target[0] != '/') csandbox_strlcat(detail, "/", sizeof detail);
        csandbox_strlcat(detail, op->target ? op->target : "", sizeof detail);
        csandbox_report(error_fd, CSANDBOX_STAGE_MOUNT, err, detail);
        return -1;
    }
    return 0;
}
