/* PID 1 of the container and the command's last steps before execve.
 * Still the child of a threaded parent: async-signal-safe calls only. */
#define _GNU_SOURCE
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

__attribute__((noreturn)) static void fail(int fd, int stage, const char *detail) {
    csandbox_report(fd, stage, errno, detail);
    _exit(125);
}

static int drop_capabilities(const struct csandbox_spec *spec) {
    for (int cap = 0; cap < 64; cap++) {
        if (spec->cap_bounding & (1ULL << cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return -1;
    }
    return 0;
}

static int set_capabilities(uint64_t caps) {
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    for (int i = 0; i < 2; i++) {
        uint32_t word = (uint32_t)(caps >> (32 * i));
        data[i].effective = data[i].permitted = data[i].inheritable = word;
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) return -1;
    return (int)syscall(SYS_capset, &header, data);
}

/* Like Go's exec.LookPath, as runc uses it: a regular file with an x bit. */
static int find_in_path(const char *name, const char *path, char *out, size_t size) {
    const char *p = path && *path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    while (*p) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0) { out[0] = '.'; out[1] = 0; }
        else if (len < size) { memcpy(out, p, len); out[len] = 0; }
        else { out[0] = 0; }
        if (out[0]) {
            csandbox_strlcat(out, "/", size);
            if (csandbox_strlcat(out, name, size) < size) {
                struct stat st;
                if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) return 0;
            }
        }
        if (!end) break;
        p = end + 1;
    }
    return -1;
}

int csandbox_command_main(void *arg) {
    const struct csandbox_spec *spec = ((const struct csandbox_command_args *)arg)->spec;
    int error_fd = ((const struct csandbox_command_args *)arg)->error_fd;
    sigset_t none;
    sigemptyset(&none);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL);
    sigprocmask(SIG_SETMASK, &none, NULL);

    if (setsid() < 0) fail(error_fd, CSANDBOX_STAGE_TERMINAL, "setsid");
    if (spec->tty_fd >= 0) {
        if (ioctl(spec->tty_fd, TIOCSCTTY, 0) != 0) fail(error_fd, CSANDBOX_STAGE_TERMINAL, "TIOCSCTTY");
        for (int fd = 0; fd < 3; fd++)
            if (dup2(spec->tty_fd, fd) < 0) fail(error_fd, CSANDBOX_STAGE_STDIO, "terminal");
        if (spec->tty_fd > 2) close(spec->tty_fd);
    }
    const int stdio[3] = { spec->stdin_fd, spec->stdout_fd, spec->stderr_fd };
    for (int fd = 0; fd < 3; fd++)
        if (stdio[fd] >= 0 && stdio[fd] != fd && dup2(stdio[fd], fd) < 0) fail(error_fd, CSANDBOX_STAGE_STDIO, "stdio");

    for (int i = 0; i < spec->nrlimits; i++) {
        struct rlimit rl = { (rlim_t)spec->rlimits[i].soft, (rlim_t)spec->rlimits[i].hard };
        if (setrlimit(spec->rlimits[i].resource, &rl) != 0) fail(error_fd, CSANDBOX_STAGE_RLIMIT, "");
    }
    /* The bounding set needs CAP_SETPCAP, which setresuid may take away. */
    if (drop_capabilities(spec) != 0) fail(error_fd, CSANDBOX_STAGE_CAPS, "bounding set");
    /* Raw syscalls: glibc's wrappers would signal the threads it believes
     * this process still has (those of hutch, copied with its memory). */
    if (spec->set_groups && syscall(SYS_setgroups, (size_t)spec->ngroups, spec->groups) != 0)
        fail(error_fd, CSANDBOX_STAGE_GROUPS, "");
    if (syscall(SYS_setresgid, spec->gid, spec->gid, spec->gid) != 0) fail(error_fd, CSANDBOX_STAGE_USER, "gid");
    if (syscall(SYS_setresuid, spec->uid, spec->uid, spec->uid) != 0) fail(error_fd, CSANDBOX_STAGE_USER, "uid");
    /* When the uid was never 0 in the namespace the kernel keeps every
     * capability across setresuid: set them explicitly. */
    if (set_capabilities(spec->cap_effective) != 0) fail(error_fd, CSANDBOX_STAGE_CAPS, "capset");
    if (spec->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        fail(error_fd, CSANDBOX_STAGE_NO_NEW_PRIVS, "");
    if (spec->workdir && chdir(spec->workdir) != 0) fail(error_fd, CSANDBOX_STAGE_WORKDIR, spec->workdir);

    /* Nothing of hutch's leaks into the container; the error pipe is CLOEXEC too. */
    syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);

    const char *file = spec->argv[0];
    char found[PATH_MAX];
    if (!strchr(file, '/')) {
        if (find_in_path(file, spec->path, found, sizeof found) != 0) {
            errno = ENOENT;
            fail(error_fd, CSANDBOX_STAGE_EXEC_NOT_FOUND, file);
        }
        file = found;
    }
    if (spec->seccomp_filter && spec->seccomp_len > 0) {
        struct sock_fprog prog = { (unsigned short)spec->seccomp_len, (struct sock_filter *)spec->seccomp_filter };
        int with_listener = spec->seccomp_listener_socket >= 0;
        long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, with_listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0, &prog);
        if (rc < 0) fail(error_fd, CSANDBOX_STAGE_SECCOMP, "");
        if (with_listener) {
            /* hutch passes the listener to the supervisor; this process must
             * not keep it (a notifying call of its own would wait on itself). */
            int listener = (int)rc;
            if (csandbox_send_fd(spec->seccomp_listener_socket, listener) != 0)
                fail(error_fd, CSANDBOX_STAGE_SECCOMP, "listener");
            close(listener);
            close(spec->seccomp_listener_socket);
        }
    }
    execve(file, spec->argv, spec->envp);
    fail(error_fd, CSANDBOX_STAGE_EXEC, spec->argv[0]);
}

void csandbox_init(const struct csandbox_spec *spec, int error_fd) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    /* vfork-like: the command borrows the init's memory until it execs,
     * so the page tables of hutch's big address space are not copied again. */
    static char stack[64 * 1024] __attribute__((aligned(16)));
    struct csandbox_command_args args = { spec, error_fd };
    pid_t command = clone(csandbox_command_main, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
    if (command < 0) fail(error_fd, CSANDBOX_STAGE_FORK, "");
    /* The command's setresuid to another id (USER app) made the memory it
     * borrowed, ours, undumpable; our mm still belongs to the host's user
     * namespace, so hutch could no longer open /proc/<init>/ns/ for exec. */
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);

    /* Only the command reports from now on; the init keeps no descriptor, so
     * the terminal and pipes close when the command's side does. */
    syscall(SYS_close_range, 0U, ~0U, 0U);
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&all, &info);
        if (sig < 0) continue;
        if (sig != SIGCHLD) {
            kill(command, sig);
            continue;
        }
        int status;
        pid_t done;
        while ((done = waitpid(-1, &status, WNOHANG)) > 0) {
            if (done != command) continue;
            if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
            if (WIFSIGNALED(status)) _exit(128 + WTERMSIG(status));
        }
    }
}
