import CFuse3
import Glibc
import Synchronization

/// A FileTable mounted as a FUSE filesystem and served the way procfs serves /proc.
///
/// `init` mounts; `run()` serves on the calling thread until the filesystem is unmounted,
/// `stop()` is called, or the process gets SIGINT, SIGTERM or SIGHUP; then it unmounts.
/// Requests are served one at a time by libfuse's single-threaded loop, which is the fastest
/// loop for open+read+close and needs no locking around the per-open snapshots.
///
/// `@unchecked Sendable` so that `stop()` can be called from any thread: the only non-Sendable
/// state is the session pointer, used by `run()`, by the stop waiter it joins, and by deinit.
public final class FuseServer: @unchecked Sendable {
    /// The absolute mount point.
    public let mountpoint: String
    /// Kept alive here because the session's userdata points at it unretained.
    private let fileSystem: FileSystem
    /// Used by `run()`, by the stop waiter it joins before returning, and by deinit.
    private let session: OpaquePointer
    /// A byte written here asks `run()` to stop; signal handlers write it too.
    private let stopPipe: (read: Int32, write: Int32)
    private let started = Atomic<Bool>(false)
    private let loopFinished = Atomic<Bool>(false)

    /// Mounts `table` at `mountpoint`, first clearing a stale pcpsim mount there and creating the
    /// directory if needed. Only the mounting user may access the files unless `allowOther`,
    /// which lets every user in and has the kernel check the file modes; a mounter other than
    /// root then also needs `user_allow_other` in /etc/fuse.conf.
    public init(table: any FileTable, mountpoint: String, allowOther: Bool = false) throws {
        let fileSystem = try FileSystem(table: table)
        guard access("/dev/fuse", F_OK) == 0 else {
            throw FuseError(
                "/dev/fuse not available: install fuse3 (apt-get install fuse3) or run in a container with --device /dev/fuse")
        }
        guard geteuid() == 0 || access("/dev/fuse", R_OK | W_OK) == 0 else {
            throw FuseError("/dev/fuse is not readable and writable by this user: run as root, or chmod 0666 /dev/fuse")
        }
        let path = absolutePath(mountpoint)
        try Self.clearStaleMount(at: path)
        var options = "fsname=pcpsim,subtype=pcpsim"
        if allowOther {
            options += ",allow_other,default_permissions"
        }
        guard let session = newSession(["pcpsim", "-o", options], fileSystem) else {
            throw FuseError("libfuse rejected the mount options \(options): see its message above")
        }
        guard fuse_session_mount(session, path) == 0 else {
            fuse_session_destroy(session)
            throw FuseError(
                "cannot mount FUSE at \(path) (libfuse says why above): run as root, or install fuse3 for fusermount3"
                    + (allowOther ? " and enable user_allow_other in /etc/fuse.conf" : ""))
        }
        var fds: [Int32] = [-1, -1]
        guard pipe2(&fds, O_CLOEXEC) == 0 else {
            let code = errno
            fuse_session_unmount(session)
            fuse_session_destroy(session)
            throw FuseError.system("cannot create the stop pipe", code, fix: "raise the open-file limit (ulimit -n)")
        }
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK) // a signal handler must never block on a full pipe
        self.mountpoint = path
        self.fileSystem = fileSystem
        self.session = session
        stopPipe = (fds[0], fds[1])
    }

    deinit {
        if !started.load(ordering: .acquiring) {
            fuse_session_unmount(session)
            fuse_session_destroy(session)
        }
        close(stopPipe.read)
        close(stopPipe.write)
    }

    /// Serves requests on the calling thread until unmounted, stopped or signalled, then
    /// unmounts. Callable once; throws if the loop fails.
    public func run() throws {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else {
            throw FuseError("the FUSE server at \(mountpoint) was already run: create a new FuseServer to mount again")
        }
        let signals = StopSignals(wakeFD: stopPipe.write)
        let loopThread = pthread_self()
        let waiter = startThread { [self] in waitForStop(interrupting: loopThread) }
        let result = fuse_session_loop(session)
        loopFinished.store(true, ordering: .releasing)
        stop()
        pthread_join(waiter, nil)
        signals.restore()
        fuse_session_unmount(session)
        fuse_session_destroy(session)
        guard result == 0 else {
            throw FuseError.system("serving \(mountpoint) failed", -result, fix: "check the kernel log (dmesg)")
        }
    }

    /// Asks `run()` to unmount and return. Safe from any thread, before or during `run()`.
    public func stop() {
        var byte: UInt8 = 1
        _ = write(stopPipe.write, &byte, 1)
    }

    /// Runs on its own thread for the length of `run()`: on a stop request, flags the session
    /// and interrupts the loop thread's blocking read of /dev/fuse, since the loop checks the
    /// flag only between requests. It repeats the signal in case one lands just before the read.
    private func waitForStop(interrupting loopThread: pthread_t) {
        var byte: UInt8 = 0
        while read(stopPipe.read, &byte, 1) < 0 && errno == EINTR {}
        guard !loopFinished.load(ordering: .acquiring) else { return }
        fuse_session_exit(session)
        while !loopFinished.load(ordering: .acquiring) {
            pthread_kill(loopThread, StopSignals.interrupt)
            usleep(1000)
        }
    }
}

/// A libfuse session for `arguments` (argv[0] then options) with our operations.
private func newSession(_ arguments: [String], _ fileSystem: FileSystem) -> OpaquePointer? {
    var argv = arguments.map { strdup($0) }
    defer { argv.forEach { free($0) } }
    return argv.withUnsafeMutableBufferPointer { argv in
        var args = fuse_args(argc: Int32(argv.count), argv: argv.baseAddress, allocated: 0)
        defer { fuse_opt_free_args(&args) } // frees only what libfuse allocated while parsing
        var operations = makeOperations()
        return cfuse3_session_new(&args, &operations, Unmanaged.passUnretained(fileSystem).toOpaque())
    }
}
