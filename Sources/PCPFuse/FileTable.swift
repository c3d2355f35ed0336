/// One file of the served tree.
public struct FileEntry: Sendable {
    /// How the content of a file behaves, which decides how it is served.
    public enum Kind: Sendable, Equatable {
        /// The same text for every reader until the table publishes again (procfs seq files,
        /// debugfs and sysfs renders of the model's state): served from the kernel's page cache,
        /// with no request to the server until the content changes.
        case snapshot
        /// A sysctl (/proc/sys): the text is made at each read at offset 0, and is cut to that
        /// read's size; a read at any other offset gets nothing (proc_sys_call_handler and the
        /// proc_do* handlers, fs/proc/proc_sysctl.c and kernel/sysctl.c).
        case sysctl
        /// A sysctl whose handler honours the offset (proc_dostring): the text is made at each
        /// read and served from the read's offset.
        case stringSysctl
        /// Made at an open's first read and again at each read at offset 0, later offsets served
        /// from it (seq_file and kernfs attributes): files whose reads have effects (trace_pipe),
        /// are computed at the moment of the read (an invariant check), or can be written.
        case live
    }

    /// Relative path without a leading slash, e.g. "proc/buddyinfo".
    public var path: String
    /// Permission bits, e.g. 0o444, 0o644, 0o200, 0o400. Directories are implied by the paths.
    public var mode: UInt16
    public var kind: Kind
    /// A live file whose content takes long to make (an O(pages) check): its reads run on a
    /// thread of their own, so the session goes on serving every other file meanwhile.
    public var slow = false

    /// `fromSnapshot`: the content is rendered from the table's published snapshot (rather than
    /// computed at the read or consumed by it). Such a file is a snapshot unless it can be
    /// written; a file under proc/sys/ that is not a snapshot is a sysctl; any other is live.
    public init(path: String, mode: UInt16, fromSnapshot: Bool = true) {
        self.path = path
        self.mode = mode
        if fromSnapshot && mode & 0o222 == 0 {
            kind = .snapshot
        } else {
            kind = path.hasPrefix("proc/sys/") ? .sysctl : .live
        }
    }

    public init(path: String, mode: UInt16, kind: Kind) {
        self.path = path
        self.mode = mode
        self.kind = kind
    }
}

/// The outcome of a write: how many bytes the file took, or an errno.
public enum WriteResult: Sendable, Equatable {
    case accepted(Int)
    /// Taken, but the kernel's file offset stays where it was (a sysctl handler that returns
    /// without updating *ppos): the next write on the open still counts as at that offset.
    case acceptedInPlace(Int)
    case failed(Int32)
}

/// What the FUSE layer serves: a fixed set of files whose content is generated on demand.
/// Implementations must be thread-safe and must not block for long: readers wait on them.
///
/// Snapshot files change only when the table publishes; the table's owner then calls
/// `FuseServer.contentChanged()`, which returns once readers see the new content.
public protocol FileTable: AnyObject, Sendable {
    /// The whole tree, fixed for the life of the mount (directories are derived from the paths).
    var files: [FileEntry] { get }
    /// The full content of a file now: for a snapshot file, its text in the latest publication.
    func read(_ path: String) -> [UInt8]
    /// A write of `data` to a writable file: validate synchronously; return 0 on success or a
    /// positive errno (EINVAL...). Must leave state unchanged on error.
    func write(_ path: String, _ data: [UInt8]) -> Int32
    /// A write of `data` at `offset` of a file opened with `flags` (O_APPEND...). For a sysctl
    /// the offset is the one procfs would use (see `onWrite`). The default
    /// applies writes at offset 0 through `write(_:_:)` and reports later ones as taken and
    /// ignored, as a sysctl with sysctl_writes_strict = 1 does.
    func write(_ path: String, _ data: [UInt8], at offset: Int, flags: Int32) -> WriteResult
}

extension FileTable {
    public func write(_ path: String, _ data: [UInt8], at offset: Int, flags: Int32) -> WriteResult {
        guard offset == 0 else { return .accepted(data.count) }
        let error = write(path, data)
        return error == 0 ? .accepted(data.count) : .failed(error)
    }
}
