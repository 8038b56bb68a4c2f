#ifndef CSANDBOX_INTERNAL_H
#define CSANDBOX_INTERNAL_H
#include "csandbox.h"

/* Sends one failure record to the parent (async-signal-safe). */
void csandbox_report(int fd, int stage, int err, const char *detail);

/* Runs the file-tree steps; on failure reports and returns -1. */
int csandbox_run_ops(const struct csandbox_spec *spec, int error_fd);

/* PID 1: forks the command, forwards signals, reaps; never returns. */
void csandbox_init(const struct csandbox_spec *spec, int error_fd) __attribute__((noreturn));

/* Small string helpers that do not allocate. */
size_t csandbox_strlcpy(char *dst, const char *src, size_t size);
size_t csandbox_strlcat(char *dst, const char *src, size_t size);
#endif
