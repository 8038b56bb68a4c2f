/* A kernel overlay mounted inside a container's user and mount namespaces.
 *
 * Only root of the user namespace that owns a mount namespace may mount
 * overlay there, and setns() into a user namespace is refused to a threaded
 * process (hutch is one). So, as exec's joiner does: clone a child with a
 * stack of its own (async-signal-safe calls only), which joins the user
 * namespace, then the mount namespace, makes the mounts private (so that
 * letting the host's preparation mount go later does not reach in), mounts,
 * and reports errno through a pipe. */
#define _GNU_SOURCE
#include "csandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#define MOUNTER_STACK_SIZE (64 * 1024)

struct mounter_args {
    int user_fd, mnt_fd, report_fd;
    const char *target, *data;
};

static void report(int fd, int value) {
    ssize_t n;
    do { n = write(fd, &value, sizeof value); } while (n < 0 && errno == EINTR);
}

static int mounter_main(void *arg) {
    const struct mounter_args *a = arg;
    if (setns(a->user_fd, CLONE_NEWUSER) != 0 || setns(a->mnt_fd, CLONE_NEWNS) != 0) { report(a->report_fd, errno); _exit(1); }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) { report(a->report_fd, errno); _exit(1); }
    if (mount("overlay", a->target, "overlay", 0, a->data) != 0) { report(a->report_fd, errno); _exit(1); }
    report(a->report_fd, 0);
    _exit(0);
}

int csandbox_mount_overlay_in(pid_t pid, const char *target, const char *data) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
    int user_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (user_fd < 0) return -errno;
    snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)pid);
    int mnt_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (mnt_fd < 0) { int e = errno; close(user_fd); return -e; }
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) { int e = errno; close(user_fd); close(mnt_fd); return -e; }
    int result = -EIO;
    void *stack = mmap(NULL, MOUNTER_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        result = -errno;
    } else {
        struct mounter_args args = { user_fd, mnt_fd, pipefd[1], target, data };
        pid_t child = clone(mounter_main, (char *)stack + MOUNTER_STACK_SIZE, SIGCHLD, &args);
        if (child < 0) {
            result = -errno;
        } else {
            close(pipefd[1]);
            pipefd[1] = -1;
            int value;
            ssize_t n;
            do { n = read(pipefd[0], &value, sizeof value); } while (n < 0 && errno == EINTR);
            if (n == (ssize_t)sizeof value) result = -value;
            int status;
            while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
        }
        munmap(stack, MOUNTER_STACK_SIZE);
    }
    close(pipefd[0]);
    if (pipefd[1] >= 0) close(pipefd[1]);
    close(user_fd);
    close(mnt_fd);
    return result;
}
