// libfuse3's low-level API for Swift. A modulemap cannot pass -D, so the API version is fixed here.
#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

// libfuse >= 3.17 turns fuse_session_new into a versioned macro, which Swift cannot import;
// this wrapper also takes sizeof(ops) from the same header the struct came from.
static inline struct fuse_session *cfuse3_session_new(struct fuse_args *args,
                                                      const struct fuse_lowlevel_ops *ops,
                                                      void *userdata) {
    return fuse_session_new(args, ops, sizeof *ops, userdata);
}

// Swift's Glibc module is built without _GNU_SOURCE, which hides these Linux calls.
#include <linux/sched.h> // CLONE_NEWNS, CLONE_NEWUSER
int unshare(int flags);
int pipe2(int fds[2], int flags);
