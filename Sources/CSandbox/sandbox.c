/* clone() of the container's init and the parent's side of the handshake.
 *
 * The parent has threads, so the child may only make async-signal-safe
 * calls: everything it needs is in the csandbox_spec the parent built. */
#define _GNU_SOURCE
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define CHILD_STACK_SIZE (256 * 1024)

size_t csandbox_strlcpy(char *dst, const char *src, size_t size) {
    size_t n = strlen(src);
    if (size) {
        size_t c = n < size - 1 ? n : size - 1;
        memcpy(dst, src, c);
        dst[c] = 0;
    }
    return n;
}

size_t csandbox_strlcat(char *dst, const char *src, size_t size) {
    size_t used = strnlen(dst, size);
    if (used == size) return size + strlen(src);
    return used + csandbox_strlcpy(dst + used, src, size - used);
}

void csandbox_report(int fd, int stage, int err, const char *detail) {
    struct csandbox_error e;
    memset(&e, 0, sizeof e);
    e.stage = stage;
    e.err = err;
    if (detail) csandbox_strlcpy(e.detail, detail, sizeof e.detail);
    /* Smaller than PIPE_BUF: one write, never interleaved. */
    ssize_t r;
    do { r = write(fd, &e, sizeof e); } while (r < 0 && errno == EINTR);
}

static int loopback_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    csandbox_strlcpy(ifr.ifr_name, "lo", IFNAMSIZ);
    int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    int err = errno;
    close(s);
    errno = err;
    return rc;
}

struct child_args {
    const struct csandbox_spec *spec;
    int sync_fd;
    int error_fd;
};

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    int err = errno;
    close(fd);
    errno = err;
    return n == (ssize_t)len ? 0 : -1;
}

static int child_main(void *arg) {
    const struct child_args *a = arg;
    const struct csandbox_spec *spec = a->spec;
    /* The init dies with hutch, and every process of the PID namespace with it. */
    int released = 0;
    if (spec->die_with_parent) {
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        /* hutch may have died before that: its end of sync_fd is then closed
         * with nothing written (it writes a byte before closing it). */
        struct pollfd p = { a->sync_fd, POLLIN, 0 };
        char byte;
        if (poll(&p, 1, 0) == 1) {
            if (read(a->sync_fd, &byte, 1) != 1) _exit(125);
            released = 1;
        }
    }
    if (spec->self_uid_map) {
        if (write_file("/proc/self/setgroups", "deny") != 0 ||
            write_file("/proc/self/uid_map", spec->self_uid_map) != 0 ||
            write_file("/proc/self/gid_map", spec->self_gid_map) != 0) {
            csandbox_report(a->error_fd, CSANDBOX_STAGE_IDMAP, errno, "");
            _exit(125);
        }
    }
    if ((!spec->self_uid_map || spec->wait_for_release) && !released) {
        /* Wait until the parent wrote the id maps (before that we have no
         * ids) or did what it had to in our namespaces (pasta, cgroups). */
        char byte;
        ssize_t n;
        do { n = read(a->sync_fd, &byte, 1); } while (n < 0 && errno == EINTR);
        if (n != 1) _exit(125); /* the parent gave up and closed the pipe */
        close(a->sync_fd);
    }
    /* Out of hutch's process group: the terminal's signals reach hutch, which
     * forwards them once; with -t the container has a terminal of its own. */
    setsid();

    if (spec->loopback_up && loopback_up() != 0) {
        csandbox_report(a->error_fd, CSANDBOX_STAGE_NETWORK, errno, "lo");
        _exit(125);
    }
    if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) != 0) {
        csandbox_report(a->error_fd, CSANDBOX_STAGE_HOSTNAME, errno, spec->hostname);
        _exit(125);
    }
    if (csandbox_run_ops(spec, a->error_fd) != 0) _exit(125);
    csandbox_init(spec, a->error_fd);
}

int csandbox_spawn(const struct csandbox_spec *spec, struct csandbox_child *child) {
    int sync[2], errs[2];
    /* A socket, not a pipe: the release byte may meet a child already gone,
     * and send(MSG_NOSIGNAL) cannot raise SIGPIPE in a caller that lets it kill. */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) != 0) return -errno;
    if (pipe2(errs, O_CLOEXEC) != 0) { int e = errno; close(sync[0]); close(sync[1]); return -e; }
    void *stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        int e = errno;
        close(sync[0]); close(sync[1]); close(errs[0]); close(errs[1]);
        return -e;
    }
    /* Lives on the parent's stack: the child gets its own copy of memory. */
    struct child_args args = { spec, sync[0], errs[1] };
    pid_t pid = clone(child_main, (char *)stack + CHILD_STACK_SIZE, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
                      (spec->new_network ? CLONE_NEWNET : 0) | SIGCHLD, &args);
    int err = errno;
    munmap(stack, CHILD_STACK_SIZE);
    close(sync[0]);
    close(errs[1]);
    if (pid < 0) {
        close(sync[1]);
        close(errs[0]);
        return -err;
    }
    child->pid = pid;
    child->sync_fd = sync[1];
    child->error_fd = errs[0];
    return 0;
}

int csandbox_release(struct csandbox_child *child, struct csandbox_error *error) {
    char byte = 1;
    ssize_t n;
    do { n = send(child->sync_fd, &byte, 1, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    close(child->sync_fd);
    child->sync_fd = -1;
    memset(error, 0, sizeof *error);
    size_t got = 0;
    while (got < sizeof *error) {
        n = read(child->error_fd, (char *)error + got, sizeof *error - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(child->error_fd);
    child->error_fd = -1;
    if (got == 0) return 0;
    if (got < sizeof *error) { error->stage = CSANDBOX_STAGE_SYNC; error->err = EPIPE; }
    return 1;
}

pid_t csandbox_spawn_helper(char *const *argv) {
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
    return rc == 0 ? pid : -rc;
}

int csandbox_send_fd(int sock, int fd) {
    char byte = 0;
    struct iovec iov = { &byte, 1 };
    union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int))]; } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    ssize_t n;
    do { n = sendmsg(sock, &msg, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -1;
}

int csandbox_recv_fd(int sock, int flags) {
    char byte;
    struct iovec iov = { &byte, 1 };
    union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int) * 4)]; } control;
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    ssize_t n;
    do { n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
    int fd = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < count; i++) {
            int got;
            memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
            if (fd < 0) fd = got; else close(got); /* one expected: never leak extras */
        }
    }
    if (fd < 0) { errno = n == 0 ? EPIPE : EBADMSG; return -1; }
    return fd;
}
