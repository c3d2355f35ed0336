import CFuse3
import Glibc

/// What every request handler needs, reached through the session's userdata. Immutable after
/// init, so handlers share it without locks.
final class FileSystem: Sendable {
    let table: any FileTable
    let tree: FileTree
    /// Files belong to the mounting user, as procfs files belong to root.
    let owner: uid_t
    let group: gid_t
    /// Every inode reports the mount time as its atime, mtime and ctime.
    let mountTime: Int

    init(table: any FileTable) throws {
        self.table = table
        tree = try FileTree(table.files)
        owner = getuid()
        group = getgid()
        mountTime = time(nil)
    }

    /// The context of the session that `request` belongs to.
    static func of(_ request: fuse_req_t?) -> FileSystem {
        Unmanaged<FileSystem>.fromOpaque(fuse_req_userdata(request)!).takeUnretainedValue()
    }

    /// procfs-style attributes: size 0, so readers rely on direct_io reads rather than st_size.
    func attributes(_ ino: fuse_ino_t) -> stat {
        let node = tree.nodes[Int(ino - 1)]
        var attributes = stat()
        attributes.st_ino = ino_t(ino)
        attributes.st_mode = (node.children == nil ? S_IFREG : S_IFDIR) | mode_t(node.mode)
        attributes.st_nlink = nlink_t(node.linkCount)
        attributes.st_uid = owner
        attributes.st_gid = group
        let time = timespec(tv_sec: mountTime, tv_nsec: 0)
        attributes.st_atim = time
        attributes.st_mtim = time
        attributes.st_ctim = time
        return attributes
    }

    /// Whether the caller of `request` may access a file of `mode` for `mask` (R_OK | W_OK | X_OK).
    /// Like procfs sysctls (test_perm in fs/proc/proc_sysctl.c) no capability overrides the bits:
    /// root and the owner get the owner bits, so even root cannot read a 0200 knob.
    func permits(_ mode: UInt16, _ mask: Int32, for request: fuse_req_t?) -> Bool {
        let caller = fuse_req_ctx(request)!.pointee
        let shift: UInt16 = caller.uid == 0 || caller.uid == owner ? 6 : caller.gid == group ? 3 : 0
        return Int32((mode >> shift) & 0o7) & mask == mask
    }
}
