import CFuse3
import Glibc

/// One libfuse session: a mount of one FileSystem, served by its own thread.
///
/// The loop polls /dev/fuse together with a wake pipe, so stopping needs no signal: a byte on
/// the pipe ends it between two requests. `@unchecked Sendable`: the session pointer is used by
/// the loop thread, by notifications from the thread that publishes, and by `close()` after
/// the loop has been joined.
final class Session: @unchecked Sendable {
    let fileSystem: FileSystem
    let mountpoint: String
    private let session: OpaquePointer
    private let wake: (read: Int32, write: Int32)
    private var loop: pthread_t?
    private var mounted = false

    /// Creates the session and mounts it at the absolute `mountpoint`.
    init(_ fileSystem: FileSystem, at mountpoint: String, options: String) throws {
        guard let session = newSession(["pcpsim", "-o", options], fileSystem) else {
            throw FuseError("libfuse rejected the mount options \(options): see its message above")
        }
        var fds: [Int32] = [-1, -1]
        guard pipe2(&fds, O_CLOEXEC | O_NONBLOCK) == 0 else {
            let code = errno
            fuse_session_destroy(session)
            throw FuseError.system("cannot create a pipe", code, fix: "raise the open-file limit (ulimit -n)")
        }
        guard fuse_session_mount(session, mountpoint) == 0 else {
            fuse_session_destroy(session)
            Glibc.close(fds[0])
            Glibc.close(fds[1])
            throw FuseError("cannot mount FUSE at \(mountpoint) (libfuse says why above): run as root, or install fuse3 for fusermount3")
        }
        self.fileSystem = fileSystem
        self.mountpoint = mountpoint
        self.session = session
        wake = (fds[0], fds[1])
        mounted = true
        fileSystem.pageCache?.attach(session, at: mountpoint)
    }

    deinit {
        close()
    }

    /// Starts serving on a new thread; `onEnd` runs on it when the loop ends for any reason.
    func start(onEnd: @escaping @Sendable () -> Void) {
        loop = startThread { [self] in
            serve()
            onEnd()
        }
    }

    /// Ends the loop (if running) and waits for it.
    func stop() {
        guard let thread = loop else { return }
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
        pthread_join(thread, nil)
        loop = nil
    }

    /// Stops, unmounts and frees the session. Idempotent.
    func close() {
        stop()
        if mounted {
            fileSystem.pageCache?.attach(nil, at: mountpoint)
            if mountedFileSystemType(at: mountpoint) == "fuse.pcpsim" { // not detached with its parent
                fuse_session_unmount(session)
            }
            fuse_session_destroy(session)
            Glibc.close(wake.read)
            Glibc.close(wake.write)
            mounted = false
        }
    }

    /// Reads and handles requests until the wake pipe has a byte, the session is unmounted or
    /// the device fails. A request's handler replies before the next request is read.
    private func serve() {
        var buffer = fuse_buf()
        defer { free(buffer.mem) }
        var fds = [pollfd(fd: fuse_session_fd(session), events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
        while fuse_session_exited(session) == 0 {
            let ready = poll(&fds, 2, -1)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0, fds[1].revents == 0 else { return }
            let received = fuse_session_receive_buf(session, &buffer)
            if received == -EINTR || received == -EAGAIN { continue }
            guard received > 0 else { return } // 0 or -ENODEV: unmounted
            fuse_session_process_buf(session, &buffer)
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
