#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/mman.h>
#include <seccomp.h>

/* memfd_create is a GNU extension the Glibc module does not expose. */
static inline int cseccomp_memfd(const char *name) { return memfd_create(name, MFD_CLOEXEC); }
