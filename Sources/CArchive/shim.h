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
