import CFuse3
import Glibc
import Synchronization

/// A FileTable mounted as FUSE filesystems and served the way procfs serves /proc.
///
/// The snapshot files are served by one session from the kernel's page cache (see PageCache):
/// an open, read and close of them costs no request to the server. Every other file (sysctls,
/// live files) needs each read and write to reach the table, so each directory holding such
/// files is a mount of its own, served with direct I/O (see FileSystem).
///
/// `init` mounts and starts serving, each session on its own thread; `run()` waits until the
/// filesystem is unmounted, `stop()` is called, or the process gets SIGINT, SIGTERM or SIGHUP,
/// then unmounts. The table's owner calls `contentChanged()` after each publication.
///
/// `@unchecked Sendable` so that `stop()` and `contentChanged()` can be called from any
/// thread: the sessions are fixed after init and closed under `rounds`.
public final class FuseServer: @unchecked Sendable {
    /// The absolute mount point.
    public let mountpoint: String
    /// The session at `mountpoint` first, then the direct mounts inside it.
    private var sessions: [Session] = []
    /// A byte written here asks `run()` to stop; signal handlers and an ending root loop too.
    private let stopPipe: (read: Int32, write: Int32)
    private let started = Atomic<Bool>(false)
    /// Serializes `contentChanged()` with itself and with closing; true once closed.
    private let rounds = Mutex(false)

    /// Mounts `table` at `mountpoint`, first clearing a stale pcpsim mount there and creating the
    /// directory if needed. Only the mounting user may access the files unless `allowOther`,
    /// which lets every user in and has the kernel check the file modes; a mounter other than
    /// root then also needs `user_allow_other` in /etc/fuse.conf.
    public init(table: any FileTable, mountpoint: String, allowOther: Bool = false) throws {
        guard access("/dev/fuse", F_OK) == 0 else {
            throw FuseError(
                "/dev/fuse not available: install fuse3 (apt-get install fuse3) or run in a container with --device /dev/fuse")
        }
        guard geteuid() == 0 || access("/dev/fuse", R_OK | W_OK) == 0 else {
            throw FuseError("/dev/fuse is not readable and writable by this user: run as root, or chmod 0666 /dev/fuse")
        }
        let layout = try Layout(table.files, nested: geteuid() == 0)
        let path = absolutePath(mountpoint)
        try Self.clearStaleMount(at: path)
        var fds: [Int32] = [-1, -1]
        guard pipe2(&fds, O_CLOEXEC | O_NONBLOCK) == 0 else {
            throw FuseError.system("cannot create the stop pipe", errno, fix: "raise the open-file limit (ulimit -n)")
        }
        self.mountpoint = path
        stopPipe = (fds[0], fds[1])
        var options = "fsname=pcpsim,subtype=pcpsim"
        if allowOther {
            options += ",allow_other,default_permissions"
        }
        let mountTime = time(nil)
        do {
            let root = FileSystem(table: table, tree: layout.root, tier: layout.rootIsDirect ? .direct : .cached,
                                  mountTime: mountTime)
            try serve(Session(root, at: path, options: options), endingRun: true)
            for (directory, tree) in layout.directMounts {
                let fs = FileSystem(table: table, tree: tree, tier: .direct, mountTime: mountTime)
                try serve(Session(fs, at: path + "/" + directory, options: options), endingRun: false)
            }
        } catch {
            close() // deinit closes the pipe
            throw error
        }
    }

    deinit {
        close()
        Glibc.close(stopPipe.read)
        Glibc.close(stopPipe.write)
    }

    /// Waits until unmounted, stopped or signalled, then unmounts. Callable once.
    public func run() throws {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else {
            throw FuseError("the FUSE server at \(mountpoint) was already run: create a new FuseServer to mount again")
        }
        let signals = StopSignals(wakeFD: stopPipe.write)
        var byte: UInt8 = 0
        var polled = pollfd(fd: stopPipe.read, events: Int16(POLLIN), revents: 0)
        while read(stopPipe.read, &byte, 1) < 0 && (errno == EINTR || errno == EAGAIN) {
            _ = poll(&polled, 1, -1)
        }
        signals.restore()
        close()
    }

    /// Asks `run()` to unmount and return. Safe from any thread, before or during `run()`.
    public func stop() {
        var byte: UInt8 = 1
        _ = write(stopPipe.write, &byte, 1)
    }

    /// Shows the table's current content to readers of snapshot files, returning once every
    /// read that starts afterwards gets it. Call it after each publication, from any thread
    /// but one serving this mount's requests (a knob write's table call may call it).
    public func contentChanged() {
        rounds.withLock { closed in
            guard !closed else { return }
            for session in sessions {
                session.fileSystem.pageCache?.contentChanged()
            }
        }
    }

    /// How long a reader that opened a snapshot file before a publication may go on reading
    /// its text before a round brings the inode it holds to the newest one (microseconds;
    /// default 1 s): see PageCache. Tests lengthen it to hold a reader mid-file.
    public var retiredGraceMicroseconds: Int {
        get { sessions.first?.fileSystem.pageCache?.retiredGrace.load(ordering: .relaxed) ?? 0 }
        set {
            for session in sessions {
                session.fileSystem.pageCache?.retiredGrace.store(newValue, ordering: .relaxed)
            }
        }
    }

    private func serve(_ session: Session, endingRun: Bool) {
        sessions.append(session)
        let stopPipe = stopPipe.write
        session.start {
            if endingRun { // an external unmount of the root ends run()
                var byte: UInt8 = 1
                _ = write(stopPipe, &byte, 1)
            }
        }
    }

    /// Stops serving and unmounts, the inner mounts first. Idempotent.
    private func close() {
        rounds.withLock { $0 = true }
        for session in sessions.reversed() {
            session.close()
        }
    }
}

/// Which files each session serves: snapshot files in the root session, every other file in a
/// direct session mounted on its directory (the outermost one, when such directories nest). A
/// snapshot file inside such a directory is served directly too. If a non-snapshot file sits at
/// the top, or mounts cannot nest (a user other than root mounts through fusermount3, which
/// as root cannot enter a mount without allow_other), the root session itself is direct and
/// serves everything.
private struct Layout {
    let root: FileTree
    let rootIsDirect: Bool
    /// Each direct session's directory (relative) and tree.
    let directMounts: [(String, FileTree)]

    init(_ files: [FileEntry], nested: Bool) throws {
        var directories = Set(files.filter { $0.kind != .snapshot }.map { parentDirectory($0.path) })
        directories = directories.filter { inner in
            !directories.contains { $0 != inner && ($0.isEmpty || inner.hasPrefix($0 + "/")) }
        }
        rootIsDirect = directories.contains("") || (!nested && !directories.isEmpty)
        if rootIsDirect {
            root = try FileTree(files)
            directMounts = []
            return
        }
        func mount(of file: FileEntry) -> String? {
            directories.first { file.path.hasPrefix($0 + "/") }
        }
        let sorted = directories.sorted()
        root = try FileTree(files.filter { mount(of: $0) == nil }, directories: sorted)
        directMounts = try sorted.map { directory in
            (directory, try FileTree(files.filter { mount(of: $0) == directory }, root: directory))
        }
    }
}

/// "proc/sys/vm" for "proc/sys/vm/min_free_kbytes", "" for a top-level name.
private func parentDirectory(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "" }
    return String(path[..<slash])
}
