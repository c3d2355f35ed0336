import CFuse3
import Glibc

/// The operations the fixed tree refuses, each with the errno of the filesystem it imitates
/// (see Flavour), rather than the ENOSYS a missing handler would give.
func addRefusedOperations(_ operations: inout fuse_lowlevel_ops) {
    operations.mknod = { request, parent, _, _, _ in refuseCreation(request, parent, .node) }
    operations.mkdir = { request, parent, _, _ in refuseCreation(request, parent, .directory) }
    operations.symlink = { request, _, parent, _ in refuseCreation(request, parent, .symlink) }
    operations.link = { request, _, parent, _ in refuseCreation(request, parent, .link) }
    operations.create = { request, parent, _, _, _ in refuseCreation(request, parent, .file) }
    operations.rename = { request, parent, _, _, _, _ in refuseCreation(request, parent, .rename) }
    operations.unlink = { request, parent, _ in refuseRemoval(request, parent) }
    operations.rmdir = { request, parent, _ in refuseRemoval(request, parent) }
    // procfs files have no fsync: vfs_fsync_range answers EINVAL.
    operations.fsync = { request, _, _, _ in fuse_reply_err(request, EINVAL) }
    operations.fsyncdir = { request, _, _, _ in fuse_reply_err(request, EINVAL) }
    operations.lseek = onLseek
    operations.statfs = onStatfs
    operations.getxattr = { request, ino, _, _ in
        let fs = FileSystem.of(request)
        guard let node = node(request, fs, ino) else { return }
        fuse_reply_err(request, node.flavour.getxattrError)
    }
    operations.setxattr = { request, _, _, _, _, _ in fuse_reply_err(request, EOPNOTSUPP) }
    operations.removexattr = { request, _, _ in fuse_reply_err(request, EOPNOTSUPP) }
    // No attribute names: an empty list, as procfs and sysfs give.
    operations.listxattr = { request, _, size in
        if size == 0 {
            fuse_reply_xattr(request, 0)
        } else {
            fuse_reply_buf(request, nil, 0)
        }
    }
}

private func refuseCreation(_ request: fuse_req_t?, _ parent: fuse_ino_t, _ operation: Flavour.Creation) {
    let fs = FileSystem.of(request)
    guard let directory = node(request, fs, parent) else { return }
    fuse_reply_err(request, directory.flavour.creation(operation))
}

private func refuseRemoval(_ request: fuse_req_t?, _ parent: fuse_ino_t) {
    let fs = FileSystem.of(request)
    guard let directory = node(request, fs, parent) else { return }
    fuse_reply_err(request, directory.flavour.removal)
}

/// SEEK_DATA and SEEK_HOLE (the kernel answers SEEK_SET, SEEK_CUR and SEEK_END itself): a
/// sysctl has no data at any offset (ENXIO, default_llseek over size 0); seq files refuse
/// both (EINVAL, seq_lseek).
private func onLseek(_ request: fuse_req_t?, _ ino: fuse_ino_t, _: off_t, _: Int32, _: UnsafeMutablePointer<fuse_file_info>?) {
    let fs = FileSystem.of(request)
    guard let node = node(request, fs, ino) else { return }
    fuse_reply_err(request, node.flavour == .sysctl ? ENXIO : EINVAL)
}

/// What statfs gives for procfs and sysfs: 4 KiB blocks, none of them used, 255-byte names.
private func onStatfs(_ request: fuse_req_t?, _: fuse_ino_t) {
    var status = statvfs()
    status.f_bsize = 4096
    status.f_frsize = 4096
    status.f_namemax = 255
    fuse_reply_statfs(request, &status)
}
