#ifndef CSANDBOX_EXEC_H
#define CSANDBOX_EXEC_H
/*
 * `hutch exec`: a new process inside a running container (exec.c).
 */
#include "csandbox.h"

/* The namespaces of the container, as descriptors of /proc/PID/ns/NAME,
 * joined in this order; -1 for one the caller shares already. */
enum csandbox_join_ns {
    CSANDBOX_JOIN_USER = 0,
    CSANDBOX_JOIN_MNT,
    CSANDBOX_JOIN_PID,
    CSANDBOX_JOIN_UTS,
    CSANDBOX_JOIN_IPC,
    CSANDBOX_JOIN_NET,
    CSANDBOX_JOIN_COUNT,
};

/* Starts spec's command (argv, envp, path, workdir, ids, groups,
 * capabilities, no_new_privs, rlimits, seccomp, stdio and tty; the rest is
 * the container's already) in the namespaces `ns_fds` (CSANDBOX_JOIN_COUNT
 * entries). `cgroup_procs_fd` >= 0: the cgroup.procs of the container's
 * cgroup (v2), open for writing; the joiner moves itself there before
 * anything else, so the command is in it from its first instruction. -1:
 * the caller's cgroup. The command becomes the caller's child: child->pid
 * is its pid, 0 when joining failed; sync_fd is -1. Then csandbox_release()
 * waits until it exec'd or reports why not. Returns 0 or -errno. */
int csandbox_exec_spawn(const struct csandbox_spec *spec, const int *ns_fds, int cgroup_procs_fd,
                        struct csandbox_child *child);

#endif
