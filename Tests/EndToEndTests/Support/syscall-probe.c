/* syscall-probe: tries syscalls a seccomp profile decides on and prints one
 * "name errno" line each (0: it succeeded). Built by the tests (statically
 * for a busybox rootfs). With --filter FILE it first installs that BPF
 * program (raw struct sock_filter array) the way the sandbox does:
 * no_new_privs, then seccomp(SECCOMP_SET_MODE_FILTER). Every probe is
 * harmless when allowed: bad arguments or a throwaway child. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif

static long err(long r) { return r < 0 ? errno : 0; }

/* Runs f in a child and reports the errno it exits with (ptrace and
 * namespace probes change the process they run in). */
static long in_child(long (*f)(void)) {
    pid_t pid = fork();
    if (pid < 0) return errno;
    if (pid == 0) _exit((int)f());
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st)) return 1000 + WTERMSIG(st);
    return WEXITSTATUS(st);
}

static long p_getpid(void) { return err(syscall(SYS_getpid)); }
static long p_mount(void) { return err(syscall(SYS_mount, "none", "/nonexistent-probe", "tmpfs", 0, NULL)); }
static long c_unshare(void) { return err(syscall(SYS_unshare, CLONE_NEWUSER)); }
static long p_unshare(void) { return in_child(c_unshare); }
static long p_setns(void) { return err(syscall(SYS_setns, -1, 0)); }
static long p_keyctl(void) { return err(syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 0)); }
static long p_add_key(void) { return err(syscall(SYS_add_key, NULL, NULL, NULL, 0, 0)); }
static long p_bpf(void) { return err(syscall(SYS_bpf, 0, NULL, 0)); }
static long p_perf(void) { return err(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0)); }
static long p_userfaultfd(void) { return err(syscall(SYS_userfaultfd, 0)); }
static long p_io_uring(void) { return err(syscall(SYS_io_uring_setup, 1, NULL)); }
static long p_kexec(void) { return err(syscall(SYS_kexec_load, 0, 0, NULL, 0)); }
static long p_init_module(void) { return err(syscall(SYS_init_module, NULL, 0, "")); }
static long p_reboot(void) { return err(syscall(SYS_reboot, 0, 0, 0, NULL)); }
static long p_swapon(void) { return err(syscall(SYS_swapon, NULL, 0)); }
static long p_clock_settime(void) { return err(syscall(SYS_clock_settime, 0, NULL)); }
static long p_open_by_handle_at(void) { return err(syscall(SYS_open_by_handle_at, -1, NULL, 0)); }
static long c_ptrace(void) { return err(syscall(SYS_ptrace, 0 /* TRACEME */, 0, 0, 0)); }
static long p_ptrace(void) { return in_child(c_ptrace); }
static long p_personality_bad(void) {
    long r = syscall(SYS_personality, 0x1234);
    if (r >= 0) syscall(SYS_personality, 0);
    return err(r);
}
static long p_personality_query(void) { return err(syscall(SYS_personality, 0xffffffff)); }
static long sock(int family, int type) {
    long fd = syscall(SYS_socket, family, type, 0);
    if (fd >= 0) close((int)fd);
    return err(fd);
}
static long p_socket_vsock(void) { return sock(40, SOCK_STREAM); }
static long p_socket_alg(void) { return sock(38, SOCK_SEQPACKET); }
static long p_socket_inet(void) { return sock(AF_INET, SOCK_STREAM); }
static long p_socket_unix(void) { return sock(AF_UNIX, SOCK_STREAM); }
static long p_socketpair(void) {
    int sv[2];
    long r = syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv);
    if (r == 0) { close(sv[0]); close(sv[1]); }
    return err(r);
}
static long p_clone3(void) { return err(syscall(SYS_clone3, NULL, 0)); }
static long p_clone_newuser(void) {
    long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, NULL, NULL, 0);
    if (r == 0) _exit(0);
    if (r > 0) { waitpid((pid_t)r, NULL, 0); return 0; }
    return errno;
}
static long p_fork(void) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    if (pid < 0) return errno;
    waitpid(pid, NULL, 0);
    return 0;
}
#if defined(__x86_64__)
/* keyctl through the i386 entry point (int $0x80, nr 288) and the x32 ABI:
 * a filter that forgot those arches would let them through or kill us. */
static long c_keyctl_i386(void) {
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(288L), "b"(0L), "c"(-3L), "d"(0L) : "memory");
    return r < 0 ? -r : 0;
}
static long p_keyctl_i386(void) { return in_child(c_keyctl_i386); }
static long c_keyctl_x32(void) { return err(syscall(0x40000000 | 250, 0, -3, 0)); }
static long p_keyctl_x32(void) { return in_child(c_keyctl_x32); }
#endif

struct probe { const char *name; long (*fn)(void); };
static const struct probe probes[] = {
    {"getpid", p_getpid}, {"fork", p_fork}, {"mount", p_mount}, {"unshare", p_unshare}, {"setns", p_setns},
    {"keyctl", p_keyctl}, {"add_key", p_add_key}, {"bpf", p_bpf}, {"perf_event_open", p_perf},
    {"userfaultfd", p_userfaultfd}, {"io_uring_setup", p_io_uring}, {"kexec_load", p_kexec},
    {"init_module", p_init_module}, {"reboot", p_reboot}, {"swapon", p_swapon},
    {"clock_settime", p_clock_settime}, {"open_by_handle_at", p_open_by_handle_at}, {"ptrace", p_ptrace},
    {"personality_0x1234", p_personality_bad}, {"personality_query", p_personality_query},
    {"socket_vsock", p_socket_vsock}, {"socket_alg", p_socket_alg}, {"socket_inet", p_socket_inet},
    {"socket_unix", p_socket_unix}, {"socketpair", p_socketpair}, {"clone3", p_clone3},
    {"clone_newuser", p_clone_newuser},
#if defined(__x86_64__)
    {"keyctl_i386", p_keyctl_i386}, {"keyctl_x32", p_keyctl_x32},
#endif
};

static int install(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { perror(path); return -1; }
    static struct sock_filter buf[65536];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n <= 0 || n % sizeof(struct sock_filter)) { fprintf(stderr, "%s: not a BPF program\n", path); return -1; }
    struct sock_fprog prog = { .len = (unsigned short)(n / sizeof(struct sock_filter)), .filter = buf };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) { perror("no_new_privs"); return -1; }
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) { perror("seccomp"); return -1; }
    return 0;
}

int main(int argc, char **argv) {
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "--filter") == 0) {
        if (install(argv[2]) != 0) return 2;
        first = 3;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        int wanted = first >= argc;
        for (int a = first; a < argc; a++) if (strcmp(argv[a], probes[i].name) == 0) wanted = 1;
        if (wanted) printf("%s %ld\n", probes[i].name, probes[i].fn());
    }
    return 0;
}
