import CFuse3
import Glibc

/// What every request handler of one session needs, reached through the session's userdata.
///
/// A session serves in one of two tiers. The cached tier holds the snapshot files: the kernel
/// opens them without asking (FUSE_CAP_NO_OPEN_SUPPORT) and reads them from its page cache,
/// which `PageCache` keeps equal to the table's latest publication. The direct tier holds the
/// files whose every read or write must reach the table (sysctls, live files): it answers each
/// open and serves reads with direct I/O, like procfs.
///
/// `@unchecked Sendable`: everything is fixed after init except the page cache, which locks
/// itself, and the state touched only by the session's loop thread.
final class FileSystem: @unchecked Sendable {
    enum Tier {
        case cached, direct
    }

    let table: any FileTable
    let tree: FileTree
    let tier: Tier
    /// Files belong to the mounting user, as procfs files belong to root.
    let owner: uid_t
    let group: gid_t
    /// Every inode reports the mount time as its atime, mtime and ctime.
    let mountTime: Int
    /// The latched content of the cached tier's files (nil in the direct tier).
    let pageCache: PageCache?
    /// The direct tier's open files. Touched only by the session's loop thread.
    let openFiles = OpenFiles()
    /// The kernel opens files without asking (set in init). Touched only by the loop thread.
    var kernelOpensWithoutUs = false
    /// The largest WRITE request: a write(2) longer than this reaches us in several (set in init).
    var maxWrite = 0
    /// The paths of the table's slow files (FileEntry.slow).
    let slowPaths: Set<String>

    init(table: any FileTable, tree: FileTree, tier: Tier, mountTime: Int) {
        self.table = table
        self.tree = tree
        self.tier = tier
        self.mountTime = mountTime
        owner = getuid()
        group = getgid()
        pageCache = tier == .cached ? PageCache(table: table, tree: tree) : nil
        slowPaths = Set(table.files.filter(\.slow).map(\.path))
    }

    /// The context of the session that `request` belongs to.
    static func of(_ request: fuse_req_t?) -> FileSystem {
        Unmanaged<FileSystem>.fromOpaque(fuse_req_userdata(request)!).takeUnretainedValue()
    }

    /// Attributes as the imitated filesystem reports them, with `size` for a file's st_size
    /// (its content's size in the cached tier, one page in the direct tier).
    func attributes(_ ino: fuse_ino_t, _ node: FileTree.Node, size: Int) -> stat {
        var attributes = stat()
        attributes.st_ino = ino_t(ino & 0xFFFF_FFFF) // one inode number for every generation
        attributes.st_mode = (node.isDirectory ? S_IFDIR : S_IFREG) | mode_t(node.mode)
        attributes.st_nlink = nlink_t(node.linkCount)
        attributes.st_uid = owner
        attributes.st_gid = group
        attributes.st_size = node.isDirectory ? 0 : off_t(size)
        attributes.st_blksize = blksize_t(node.flavour.blockSize)
        let time = timespec(tv_sec: mountTime, tv_nsec: 0)
        attributes.st_atim = time
        attributes.st_mtim = time
        attributes.st_ctim = time
        return attributes
    }

    /// Whether `node` is served from the page cache.
    func isCached(_ node: FileTree.Node) -> Bool {
        tier == .cached && !node.isDirectory
    }

    /// Whether the caller of `request` may access `node` for `mask` (R_OK | W_OK | X_OK).
    /// The owner gets the owner bits, the group the group bits, others the other bits; root
    /// overrides them except in sysctl directories (see Flavour.rootBypassesMode).
    func permits(_ node: FileTree.Node, _ mask: Int32, for request: fuse_req_t?) -> Bool {
        guard let context = fuse_req_ctx(request)?.pointee else { return false }
        if context.uid == 0 && node.flavour.rootBypassesMode {
            return mask & X_OK == 0 || node.isDirectory || node.mode & 0o111 != 0
        }
        let shift: UInt16 = context.uid == 0 || context.uid == owner ? 6 : context.gid == group ? 3 : 0
        return Int32((node.mode >> shift) & 0o7) & mask == mask
    }
}
