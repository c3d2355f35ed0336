/// One file of the served tree.
public struct FileEntry: Sendable {
    /// Relative path without a leading slash, e.g. "proc/buddyinfo".
    public var path: String
    /// Permission bits, e.g. 0o444, 0o644, 0o200, 0o400. Directories are implied by the paths.
    public var mode: UInt16

    public init(path: String, mode: UInt16) {
        self.path = path
        self.mode = mode
    }
}

/// What the FUSE layer serves: a fixed set of files whose content is generated on demand.
/// Implementations must be thread-safe and must not block for long: every request waits on them.
public protocol FileTable: AnyObject, Sendable {
    /// The whole tree, fixed for the life of the mount (directories are derived from the paths).
    var files: [FileEntry] { get }
    /// Fresh full content of a file (one consistent snapshot). Called on the first read of an
    /// open file and on every read at offset 0.
    func read(_ path: String) -> [UInt8]
    /// A write of `data` to a writable file: validate synchronously; return 0 on success or a
    /// positive errno (EINVAL...). Must leave state unchanged on error.
    func write(_ path: String, _ data: [UInt8]) -> Int32
}
