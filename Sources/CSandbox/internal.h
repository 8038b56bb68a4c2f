#ifndef CSANDBOX_INTERNAL_H
#define CSANDBOX_INTERNAL_H
#include "csandbox.h"

/* Sends one failure record to the parent (async-signal-safe). */
void csandbox_report(int fd, int stage, int err, const char *detail);

/* Runs the file-tree steps; on failure reports and returns -1. */
int csandbox_run_ops(const struct csandbox_spec *spec, int error_fd);

/* PID 1: forks the command, forwards signals, reaps; never returns. */
void csandbox_init(const struct csandbox_spec *spec, int error_fd) __attribute__((noreturn));

/* The command's last steps (stdio, rlimits, capabilities, ids, no_new_privs,
 * workdir, seccomp) and execve, as a clone() entry point taking a
 * csandbox_command_args; reports a failure on error_fd and _exits 125. Used
 * by the init (init.c) and by exec into a running container (exec.c). */
struct csandbox_command_args {
    const struct csandbox_spec *spec;
    int error_fd;
};
int csandbox_command_main(void *arg);

/* Small string helpers that do not allocate. */
size_t csandbox_strlcpy(char *dst, const char *src, size_t size);
size_t csandbox_strlcat(char *dst, const char *src, size_t size);
#endif
