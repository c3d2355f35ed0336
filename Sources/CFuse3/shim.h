// libfuse3's low-level API for Swift. A modulemap cannot pass -D, so the API version is fixed here.
#define FUSE_USE_VERSION 35
#include <stddef.h>
#include <fuse_lowlevel.h>

// libfuse >= 3.17 turns fuse_session_new into a versioned macro, which Swift cannot import;
// this wrapper also takes sizeof(ops) from the same header the struct came from.
static inline struct fuse_session *cfuse3_session_new(struct fuse_args *args,
                                                      const struct fuse_lowlevel_ops *ops,
                                                      void *userdata) {
    return fuse_session_new(args, ops, sizeof *ops, userdata);
}

// Puts `size` bytes at `offset` of inode `ino` into the kernel's page cache (growing its size
// if they end beyond it). FUSE_BUFVEC_INIT is a macro, which Swift cannot import.
static inline int cfuse3_notify_store(struct fuse_session *se, fuse_ino_t ino, off_t offset,
                                      const void *data, size_t size) {
    struct fuse_bufvec buffer = FUSE_BUFVEC_INIT(size);
    buffer.buf[0].mem = (void *)data;
    return fuse_lowlevel_notify_store(se, ino, offset, &buffer, 0);
}

// The capability bits the mount negotiates, as plain constants.
static const unsigned cfuse3_cap_async_read = FUSE_CAP_ASYNC_READ;
static const unsigned cfuse3_cap_atomic_o_trunc = FUSE_CAP_ATOMIC_O_TRUNC;
static const unsigned cfuse3_cap_no_open_support = FUSE_CAP_NO_OPEN_SUPPORT;

// Swift's Glibc module is built without _GNU_SOURCE, which hides these Linux calls.
#include <linux/sched.h> // CLONE_NEWNS, CLONE_NEWUSER
int unshare(int flags);
static const int cfuse3_o_direct = __O_DIRECT; // O_DIRECT
#include <sys/syscall.h>
#include <unistd.h>
static inline int cfuse3_gettid(void) { return (int)syscall(__NR_gettid); }
int pipe2(int fds[2], int flags);

// mount_setattr(2) with AT_RECURSIVE and MOUNT_ATTR_RDONLY: every mount of the tree at `path`
// read-only. The struct is mount_attr's layout (linux/mount.h clashes with sys/mount.h).
static inline int cfuse3_make_tree_readonly(const char *path) {
    struct { unsigned long long attr_set, attr_clr, propagation, userns_fd; } attr = { 0x1, 0, 0, 0 };
    return (int)syscall(__NR_mount_setattr, -100 /* AT_FDCWD */, path, 0x8000 /* AT_RECURSIVE */, &attr, sizeof attr);
}
