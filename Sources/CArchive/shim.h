#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/openat2.h>

/* openat2(2) has no glibc wrapper: the store opens paths inside a layer with
   RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS so no entry can lead outside. */
static inline int hutch_openat2(int dirfd, const char *path, int flags, unsigned int mode,
                                unsigned long long resolve) {
    struct open_how how = { .flags = (unsigned long long)flags, .mode = mode, .resolve = resolve };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/* unshare(2) is declared only under _GNU_SOURCE: the store's remover of
   files owned by subordinate ids calls it in a freshly forked child. */
#define HUTCH_CLONE_NEWUSER 0x10000000
static inline int hutch_unshare(int flags) {
    return (int)syscall(SYS_unshare, flags);
}

#include <sys/vfs.h>
/* statfs(2)'s f_type tells a network filesystem the store must not live on;
   Glibc's Swift module does not declare statfs. 0 on success, -1 and errno. */
static inline int hutch_statfs_type(const char *path, unsigned long *type) {
    struct statfs s;
    if (statfs(path, &s) != 0) return -1;
    *type = (unsigned long)s.f_type;
    return 0;
}
