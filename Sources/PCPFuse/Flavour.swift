import Glibc

/// The kernel filesystem a served path imitates, and what that filesystem answers to the
/// operations the tree does not support. The errnos were read off a Linux 6.18 kernel as root
/// (/proc/buddyinfo, /proc/sys/vm, /sys/kernel/mm/transparent_hugepage, /sys/kernel/tracing);
/// `ErrnoTests` compares the mount with the real files side by side.
enum Flavour: Sendable {
    /// /proc outside /proc/sys.
    case procfs
    /// /proc/sys: sysctl tables (fs/proc/proc_sysctl.c).
    case sysctl
    /// /sys, kernfs: attributes report a size of one page.
    case sysfs
    /// /sys/kernel/tracing: kernfs-like errnos, files of size 0.
    case tracefs

    init(path: String) {
        if path == "proc/sys" || path.hasPrefix("proc/sys/") {
            self = .sysctl
        } else if path == "proc" || path.hasPrefix("proc/") {
            self = .procfs
        } else if path == "sys/kernel/tracing" || path.hasPrefix("sys/kernel/tracing/") {
            self = .tracefs
        } else {
            self = .sysfs
        }
    }

    /// st_blksize of files and directories.
    var blockSize: Int {
        switch self {
        case .procfs, .sysctl: 1024
        case .sysfs, .tracefs: 4096
        }
    }

    /// Whether directories count their subdirectories in st_nlink (sysctl directories say 1).
    var directoriesCountLinks: Bool {
        self != .sysctl
    }

    /// Like test_perm in proc_sysctl.c, no capability overrides a sysctl's mode: root gets the
    /// owner bits. Elsewhere root reads and writes anything, as generic_permission allows.
    var rootBypassesMode: Bool {
        self != .sysctl
    }

    /// What creating a name in a directory of this flavour answers (mkdir, mknod of a device
    /// or FIFO, symlink, link, open with O_CREAT or mknod of a regular file), and what renaming
    /// from it answers. kernfs has no such methods: vfs_create says EACCES, the others EPERM.
    func creation(_ operation: Creation) -> Int32 {
        switch (self, operation) {
        case (.procfs, _), (.sysctl, _): ENOENT
        case (_, .file): EACCES
        default: EPERM
        }
    }

    enum Creation {
        case directory, file, node, symlink, link, rename
    }

    /// What unlink and rmdir in a directory of this flavour answer.
    var removal: Int32 {
        self == .sysctl ? EACCES : EPERM
    }

    /// getxattr of any name (kernfs looks the name up and finds nothing).
    var getxattrError: Int32 {
        self == .sysfs ? ENODATA : EOPNOTSUPP
    }
}
