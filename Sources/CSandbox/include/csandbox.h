#ifndef CSANDBOX_H
#define CSANDBOX_H
/*
 * The child side of process creation (sandbox.c). The parent (Swift)
 * computes everything up front into a csandbox_spec; after clone() the C
 * side only interprets it: no allocation, async-signal-safe calls only,
 * because the parent has threads.
 */
#include <stdint.h>
#include <sys/types.h>
#include <sys/signalfd.h> /* for Swift: signalfd() and its record */

/* One step of building the container's file tree, run in order. Before the
 * CSANDBOX_OP_PIVOT step the working directory is the new root, so targets
 * are relative to it ("proc", "dev/null"); after it they are absolute. */
enum csandbox_op_kind {
    CSANDBOX_OP_PROPAGATION = 1, /* mount(NULL, target, NULL, flags): make "/" rprivate */
    CSANDBOX_OP_BIND,            /* bind source onto target; flags may add MS_REC, MS_RDONLY */
    CSANDBOX_OP_MOUNT,           /* mount(source, target, fstype, flags, data) */
    CSANDBOX_OP_MKDIR,           /* mkdir -p target (mode in flags) */
    CSANDBOX_OP_MKFILE,          /* create an empty file at target (a bind mount point) */
    CSANDBOX_OP_SYMLINK,         /* symlink(source, target), an existing entry is left alone */
    CSANDBOX_OP_CHDIR,           /* chdir(target) */
    CSANDBOX_OP_PIVOT,           /* pivot_root(".", "."), detach the old root, chdir("/") */
    CSANDBOX_OP_REMOUNT_RO,      /* read-only remount keeping the locked flags */
    CSANDBOX_OP_MASK,            /* /dev/null over a file, a read-only tmpfs over a folder */
    CSANDBOX_OP_READONLY,        /* bind target onto itself, then read-only */
};

/* op.optional: a missing target (ENOENT) is skipped, not an error. */
struct csandbox_op {
    int kind;
    int optional;
    const char *source;
    const char *target;
    const char *fstype;
    unsigned long flags;
    const char *data;
};

struct csandbox_rlimit {
    int resource;
    uint64_t soft;
    uint64_t hard;
};

/* Where a failure happened, sent to the parent with errno and a detail. */
enum csandbox_stage {
    CSANDBOX_STAGE_NONE = 0,
    CSANDBOX_STAGE_SYNC,
    CSANDBOX_STAGE_IDMAP,
    CSANDBOX_STAGE_MOUNT,
    CSANDBOX_STAGE_HOSTNAME,
    CSANDBOX_STAGE_NETWORK,
    CSANDBOX_STAGE_FORK,
    CSANDBOX_STAGE_STDIO,
    CSANDBOX_STAGE_TERMINAL,
    CSANDBOX_STAGE_RLIMIT,
    CSANDBOX_STAGE_GROUPS,
    CSANDBOX_STAGE_USER,
    CSANDBOX_STAGE_CAPS,
    CSANDBOX_STAGE_NO_NEW_PRIVS,
    CSANDBOX_STAGE_WORKDIR,
    CSANDBOX_STAGE_SECCOMP,
    CSANDBOX_STAGE_EXEC_NOT_FOUND,
    CSANDBOX_STAGE_EXEC,
    CSANDBOX_STAGE_JOIN,        /* setns into a running container's namespace */
    CSANDBOX_STAGE_CGROUP,      /* joining a running container's cgroup */
};

struct csandbox_error {
    int32_t stage;
    int32_t err;
    char detail[248];
};

struct csandbox_spec {
    /* Without newuidmap, the child writes its own one-line maps (allowed
     * for one's own id): no round trip to the parent. NULL: wait on sync_fd
     * until the parent has written them. */
    const char *self_uid_map;
    const char *self_gid_map;
    /* With self-written maps, still wait on sync_fd before going on (the
     * parent has work to do in the new namespaces first: pasta, cgroups). */
    int wait_for_release;
    int new_network;               /* a network namespace too (user, mount, pid, uts, ipc always) */
    int die_with_parent;           /* SIGKILL the container when hutch dies */
    const struct csandbox_op *ops;
    int nops;
    const char *hostname;          /* NULL: leave it */
    int loopback_up;               /* bring lo up (a new network namespace) */

    /* The command. argv[0] is searched in PATH from envp when it has no '/'. */
    char *const *argv;
    char *const *envp;
    const char *path;              /* the container's PATH, for the search */
    const char *workdir;

    uid_t uid;
    gid_t gid;
    int set_groups;                /* 0 when setgroups is denied in the namespace */
    const gid_t *groups;
    int ngroups;

    uint64_t cap_bounding;         /* bit N = capability N */
    uint64_t cap_effective;        /* also permitted and inheritable */
    int no_new_privs;

    const struct csandbox_rlimit *rlimits;
    int nrlimits;

    const void *seccomp_filter;    /* struct sock_filter[], NULL for none */
    int seccomp_len;               /* number of sock_filter entries */
    /* >= 0: install the filter with SECCOMP_FILTER_FLAG_NEW_LISTENER and
     * send the listener over this unix socket (SCM_RIGHTS) before exec, for
     * a supervisor to answer the filter's SCMP_ACT_NOTIFY calls. -1: none. */
    int seccomp_listener_socket;

    /* stdio for the command: -1 keeps what the parent had. With a terminal
     * (tty_fd >= 0) it becomes stdin/stdout/stderr and the controlling tty. */
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
    int tty_fd;
    /* exec only, >= 0: the joiner opens a pty in the container's own devpts
     * (its /dev/ptmx), sends the master over this unix socket (SCM_RIGHTS)
     * and gives the command the slave instead of tty_fd, so `tty` names a
     * /dev/pts entry that exists in the container. -1: tty_fd as it is. */
    int exec_tty_socket;
};

struct csandbox_child {
    pid_t pid;       /* the container's init, in the parent's PID namespace */
    int sync_fd;     /* write one byte once the id maps are written (or at once: the child writes them) */
    int error_fd;    /* read a csandbox_error, or EOF when exec succeeded */
};

/* clone()s the container's init, which waits on sync_fd. Returns 0 or -errno. */
int csandbox_spawn(const struct csandbox_spec *spec, struct csandbox_child *child);

/* Lets the child go on, and waits until it exec'd the command (returns 0) or
 * failed (returns 1 and fills *error). Closes both descriptors. */
int csandbox_release(struct csandbox_child *child, struct csandbox_error *error);

/* Parent-side helper: spawns argv (newuidmap) and returns its pid or -errno. */
pid_t csandbox_spawn_helper(char *const *argv);

/* Parent-side helper: a new pty pair (both CLOEXEC, slave without
 * controlling it) and the slave's path. Returns 0 or -errno. */
/* A pidfd for `pid` (readable once it exits), or -1 with errno. */
int csandbox_pidfd_open(pid_t pid);

int csandbox_open_pty(int *master, int *slave, char *path, size_t size);

/* One descriptor over a unix socket as SCM_RIGHTS, with one byte of data.
 * Async-signal-safe. Returns 0 or -1 with errno. */
int csandbox_send_fd(int sock, int fd);

/* Mounts the kernel overlay (`data`: its options) at `target` inside the
 * user and mount namespaces of `pid`, after making that namespace's mounts
 * private. 0 or -errno. */
int csandbox_mount_overlay_in(pid_t pid, const char *target, const char *data);

/* Receives a descriptor sent by csandbox_send_fd (CLOEXEC); flags for
 * recvmsg (MSG_DONTWAIT). Returns it, or -1 with errno (EAGAIN: nothing
 * waiting; EBADMSG: a message without a descriptor). */
int csandbox_recv_fd(int sock, int flags);

#endif
