/* Parent side: glibc's pty calls need feature macros Swift's importer lacks. */
#define _GNU_SOURCE
#include "csandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int csandbox_open_pty(int *master, int *slave, char *path, size_t size) {
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) return -errno;
    if (grantpt(m) != 0 || unlockpt(m) != 0 || ptsname_r(m, path, size) != 0) {
        int e = errno;
        close(m);
        return -e;
    }
    int s = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0) {
        int e = errno;
        close(m);
        return -e;
    }
    *master = m;
    *slave = s;
    return 0;
}
