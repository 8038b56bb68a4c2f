/* exec into a running container.
 *
 * setns() into a user namespace is refused to a threaded process, and into
 * a PID namespace it only applies to the caller's children. So: clone a
 * joiner (a copy of hutch with one thread: async-signal-safe calls only),
 * which joins the namespaces, user first (it gives the capabilities the
 * others need), then clones the command with CLONE_PARENT, so the command
 * is in the container's PID namespace and is hutch's own child, and exits.
 * The command takes the same last steps as a container's first command
 * (csandbox_command_main: capabilities, ids, seccomp, exec). */
#define _GNU_SOURCE
#include "internal.h"
#include "csandbox_exec.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define JOINER_STACK_SIZE (256 * 1024)

static const char *const ns_names[CSANDBOX_JOIN_COUNT] = { "user", "mnt", "pid", "uts", "ipc", "net" };

struct joiner_args {
    const struct csandbox_spec *spec;
    const int *ns_fds;
    int cgroup_procs_fd;  /* -1: stay in hutch's cgroup */
    int pid_fd;   /* the command's pid goes here */
    int error_fd;
};

/* A pty of the container's devpts: the master goes to hutch, the slave to
 * the command. On any failure the command keeps the host's pty (tty_fd). */
static void open_container_pty(struct csandbox_spec *spec) {
    int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) return;
    int unlock = 0, s = -1;
    if (ioctl(m, TIOCSPTLCK, &unlock) == 0) s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s >= 0 && csandbox_send_fd(spec->exec_tty_socket, m) == 0) spec->tty_fd = s;
    else if (s >= 0) close(s);
    close(m);
}

static int joiner_main(void *arg) {
    const struct joiner_args *a = arg;
    /* "0" moves the writer. First, while still in hutch's namespaces (the
     * kernel checks the opener's rights anyway): the command cloned below
     * starts in the container's cgroup and so does everything it forks. */
    if (a->cgroup_procs_fd >= 0) {
        ssize_t n;
        do { n = write(a->cgroup_procs_fd, "0", 1); } while (n < 0 && errno == EINTR);
        if (n != 1) {
            csandbox_report(a->error_fd, CSANDBOX_STAGE_CGROUP, n < 0 ? errno : EIO, "");
            _exit(125);
        }
    }
    for (int i = 0; i < CSANDBOX_JOIN_COUNT; i++) {
        if (a->ns_fds[i] < 0) continue;
        if (setns(a->ns_fds[i], 0) != 0) {
            csandbox_report(a->error_fd, CSANDBOX_STAGE_JOIN, errno, ns_names[i]);
            _exit(125);
        }
    }
    /* Joining the mount namespace put us at its root (the container's). */
    static struct csandbox_spec local;
    local = *a->spec;
    if (local.exec_tty_socket >= 0) open_container_pty(&local);
    static char stack[64 * 1024] __attribute__((aligned(16)));
    struct csandbox_command_args args = { &local, a->error_fd };
    /* vfork-like: returns once the command exec'd or failed. */
    pid_t pid = clone(csandbox_command_main, stack + sizeof stack, CLONE_VM | CLONE_VFORK | CLONE_PARENT, &args);
    if (pid < 0) {
        csandbox_report(a->error_fd, CSANDBOX_STAGE_FORK, errno, "");
        _exit(125);
    }
    ssize_t n;
    do { n = write(a->pid_fd, &pid, sizeof pid); } while (n < 0 && errno == EINTR);
    _exit(0);
}

int csandbox_exec_spawn(const struct csandbox_spec *spec, const int *ns_fds, int cgroup_procs_fd,
                        struct csandbox_child *child) {
    int pids[2], errs[2];
    if (pipe2(pids, O_CLOEXEC) != 0) return -errno;
    if (pipe2(errs, O_CLOEXEC) != 0) { int e = errno; close(pids[0]); close(pids[1]); return -e; }
    void *stack = mmap(NULL, JOINER_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        int e = errno;
        close(pids[0]); close(pids[1]); close(errs[0]); close(errs[1]);
        return -e;
    }
    struct joiner_args args = { spec, ns_fds, cgroup_procs_fd, pids[1], errs[1] };
    pid_t joiner = clone(joiner_main, (char *)stack + JOINER_STACK_SIZE, SIGCHLD, &args);
    int err = errno;
    munmap(stack, JOINER_STACK_SIZE);
    close(pids[1]);
    close(errs[1]);
    if (joiner < 0) {
        close(pids[0]);
        close(errs[0]);
        return -err;
    }
    pid_t pid = 0;
    size_t got = 0;
    while (got < sizeof pid) {
        ssize_t n = read(pids[0], (char *)&pid + got, sizeof pid - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(pids[0]);
    int status;
    while (waitpid(joiner, &status, 0) < 0 && errno == EINTR) {}
    child->pid = got == sizeof pid ? pid : 0;
    child->sync_fd = -1;
    child->error_fd = errs[0];
    return 0;
}
