#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/sendfile.h>
#include <sys/xattr.h>
#include <linux/fs.h>

// Swift cannot call C variadic functions (ioctl, syscall), and Swift's
// Glibc module is built without _GNU_SOURCE (no O_PATH, copy_file_range,
// fallocate, SEEK_DATA, UTIME_NOW): these inline helpers and constants are
// the whole of the C the union filesystem needs.

extern char **environ;
static inline char **hutch_environ(void) { return environ; }

static const int HUTCH_O_PATH = 010000000;
static const int HUTCH_SEEK_DATA = 3;
static const int HUTCH_SEEK_HOLE = 4;
static const long HUTCH_UTIME_NOW = (1l << 30) - 1l;
static const long HUTCH_UTIME_OMIT = (1l << 30) - 2l;

static inline int hutch_ficlone(int dst, int src) { return ioctl(dst, FICLONE, src); }

static inline int hutch_renameat2(int olddir, const char *oldpath, int newdir,
                                  const char *newpath, unsigned int flags) {
    return (int)syscall(SYS_renameat2, olddir, oldpath, newdir, newpath, flags);
}

static inline int hutch_pidfd_open(int pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }
/* Joining a container's namespaces (CLONE_NEWUSER 0x10000000, CLONE_NEWNS 0x20000). */
static inline int hutch_setns(int fd, int nstype) { return (int)syscall(SYS_setns, fd, nstype); }
static inline int hutch_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
static inline int hutch_unshare_mount_ns(void) { return (int)syscall(SYS_unshare, 0x00020000); }
static const int HUTCH_CLONE_NEWUSER = 0x10000000;
static const int HUTCH_CLONE_NEWNS = 0x00020000;

static inline long hutch_copy_file_range(int in, off_t *inoff, int out, off_t *outoff, size_t len) {
    return syscall(SYS_copy_file_range, in, inoff, out, outoff, len, 0);
}

static inline int hutch_fallocate(int fd, int mode, off_t off, off_t len) {
    return (int)syscall(SYS_fallocate, fd, mode, off, len);
}

// Reply to a read with data taken straight from fd (spliced when the
// kernel and libfuse agree), so file data never passes through our buffers.
static inline int hutch_reply_fd_data(fuse_req_t req, int fd, size_t size, off_t off) {
    struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
    buf.buf[0].flags = (enum fuse_buf_flags)(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
    buf.buf[0].fd = fd;
    buf.buf[0].pos = off;
    return fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

// Writes the request's data (maybe a pipe from splice) into fd at off.
static inline ssize_t hutch_write_bufvec(int fd, off_t off, struct fuse_bufvec *in) {
    struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in));
    out.buf[0].flags = (enum fuse_buf_flags)(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
    out.buf[0].fd = fd;
    out.buf[0].pos = off;
    return fuse_buf_copy(&out, in, (enum fuse_buf_copy_flags)0);
}

// The chown supervisor (ChownSupervisor.swift): resolving a path inside a
// container's root, and the FUSE node id of an open file.
#include <linux/openat2.h>
#include <stdint.h>
#include <string.h>

static const unsigned long long HUTCH_RESOLVE_IN_ROOT = RESOLVE_IN_ROOT;
static const unsigned long long HUTCH_RESOLVE_NO_MAGICLINKS = RESOLVE_NO_MAGICLINKS;

static inline int hutch_openat2(int dirfd, const char *path, unsigned long long flags, unsigned long long resolve) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = flags;
    how.resolve = resolve;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

// FUSE encodes a file handle as the node id (two u32, high first) and the
// generation; AT_HANDLE_FID (Linux 6.5) asks for it without export support.
static inline int hutch_fuse_node_id(int fd, uint64_t *nodeid, uint32_t *generation) {
    struct { unsigned int bytes; int type; uint32_t words[8]; } h;
    memset(&h, 0, sizeof h);
    h.bytes = sizeof h.words;
    int mount_id = 0;
    long rc = syscall(SYS_name_to_handle_at, fd, "", &h, &mount_id, 0x1000 /* AT_EMPTY_PATH */ | 0x200 /* AT_HANDLE_FID */);
    if (rc != 0) rc = syscall(SYS_name_to_handle_at, fd, "", &h, &mount_id, 0x1000);
    if (rc != 0) return -1;
    if (h.bytes < 12) { errno = EOPNOTSUPP; return -1; }
    *nodeid = ((uint64_t)h.words[0] << 32) | h.words[1];
    *generation = h.words[2];
    return 0;
}

// Reading requests: spin briefly, then sleep alone.
//
// A request's round trip is two wake-ups: the daemon's, then the caller's.
// On a virtual machine a wake-up of an idle CPU costs an inter-processor
// interrupt and a halt exit, several microseconds each, and a program that
// stats, creates or deletes files one by one waits for every one of them.
// So a worker that finds no request keeps asking, without sleeping, for a
// short while (one worker at a time: the others sleep), and the next
// request of a program that is between two calls is taken at once. The
// sleeping workers wait in epoll with EPOLLEXCLUSIVE, so one request wakes
// one of them, not all. Installed through libfuse's custom I/O hook, which
// otherwise reads and writes /dev/fuse as libfuse would.
#include <sys/epoll.h>
#include <sys/uio.h>
#include <stdatomic.h>
#include <time.h>

static _Atomic int hutch_spinning = 0;
static long hutch_spin_ns = 50000;
static __thread int hutch_epoll_fd = -1;

static inline void hutch_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline long long hutch_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000ll + t.tv_nsec;
}

// One request from /dev/fuse (non-blocking): read into buf, or spliced
// into the pipe fd `into` when it is not -1.
static inline ssize_t hutch_take_request(int fd, void *buf, size_t len, int into) {
    if (into < 0) return read(fd, buf, len);
    return splice(fd, NULL, into, NULL, len, 2 /* SPLICE_F_NONBLOCK */);
}

static inline ssize_t hutch_wait_request(int fd, void *buf, size_t len, int into) {
    for (;;) {
        ssize_t n = hutch_take_request(fd, buf, len, into);
        if (n >= 0 || errno != EAGAIN) return n;
        int idle = 0;
        if (hutch_spin_ns > 0 && atomic_compare_exchange_strong(&hutch_spinning, &idle, 1)) {
            long long until = hutch_now_ns() + hutch_spin_ns;
            do {
                n = hutch_take_request(fd, buf, len, into);
                if (n >= 0 || errno != EAGAIN) {
                    int e = errno;
                    atomic_store(&hutch_spinning, 0);
                    errno = e;
                    return n;
                }
                hutch_cpu_relax();
            } while (hutch_now_ns() < until);
            atomic_store(&hutch_spinning, 0);
        }
        if (hutch_epoll_fd < 0) {
            int ep = epoll_create1(EPOLL_CLOEXEC);
            if (ep < 0) return -1;
            struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
            if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) { close(ep); return -1; }
            hutch_epoll_fd = ep;
        }
        struct epoll_event got;
        if (epoll_wait(hutch_epoll_fd, &got, 1, -1) < 0 && errno != EINTR) return -1;
    }
}

static inline ssize_t hutch_io_read(int fd, void *buf, size_t len, void *userdata) {
    (void)userdata;
    return hutch_wait_request(fd, buf, len, -1);
}

static inline ssize_t hutch_io_splice_receive(int fdin, off_t *offin, int fdout, off_t *offout,
                                              size_t len, unsigned int flags, void *userdata) {
    (void)offin; (void)offout; (void)flags; (void)userdata;
    return hutch_wait_request(fdin, NULL, len, fdout);
}

static inline ssize_t hutch_io_writev(int fd, struct iovec *iov, int count, void *userdata) {
    (void)userdata;
    return writev(fd, iov, count);
}

// Replies with file data are spliced as libfuse would (it offers splice
// only when the custom I/O has this hook).
static inline ssize_t hutch_io_splice_send(int fdin, off_t *offin, int fdout, off_t *offout,
                                           size_t len, unsigned int flags, void *userdata) {
    (void)userdata;
    return splice(fdin, offin, fdout, offout, len, flags);
}

// After fuse_session_mount: the device made non-blocking, and the reader
// above put in libfuse's place. spin_us 0 turns the spinning off.
static inline int hutch_install_spinning_reader(struct fuse_session *se, long spin_us, int splice_requests) {
    static const struct fuse_custom_io plain = { .writev = hutch_io_writev, .read = hutch_io_read, .splice_send = hutch_io_splice_send };
    static const struct fuse_custom_io spliced = { .writev = hutch_io_writev, .read = hutch_io_read,
        .splice_send = hutch_io_splice_send, .splice_receive = hutch_io_splice_receive };
    const struct fuse_custom_io *io = splice_requests ? &spliced : &plain;
    int fd = fuse_session_fd(se);
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return -1;
    hutch_spin_ns = spin_us * 1000;
    return fuse_session_custom_io(se, io, fd);
}
