import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whole files in and out, with the errors a user can act on.
public enum TextFile {
    /// The file's text with CRLF line ends read as LF, so every parser sees one line ending.
    /// Reads FIFOs and other non-regular files too (a process substitution is a FIFO).
    public static func read(_ path: String) throws(UsageError) -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { throw UsageError("cannot read '\(path)': \(String(cString: strerror(errno)))") }
        guard st.st_mode & S_IFMT != S_IFDIR else { throw UsageError("cannot read '\(path)': it is a directory") }
        guard let h = FileHandle(forReadingAtPath: path) else { throw UsageError("cannot read '\(path)': not readable") }
        defer { try? h.close() }
        let data: Data
        do { data = try h.readToEnd() ?? Data() } catch { throw UsageError("cannot read '\(path)': \(error.localizedDescription)") }
        return normalizingLineEnds(String(decoding: data, as: UTF8.self))
    }

    /// CRLF to LF (a lone CR is left as it is: no Linux file uses it as a line end).
    public static func normalizingLineEnds(_ s: String) -> String {
        guard s.utf8.contains(13) else { return s }
        return s.replacingOccurrences(of: "\r\n", with: "\n")
    }

    /// Writes `data` to `path`: a regular file (or a new one) atomically, through a temporary
    /// file beside it that is synced and renamed over it; a device or FIFO (`/dev/stdout`,
    /// `/dev/null`) directly, since renaming over it would replace it. Every write is checked.
    public static func write(_ data: Data, to path: String) throws(OutputError) {
        let out = try Output(path)
        try out.write(data)
        try out.commit()
    }
}

/// A file could not be written (a full disk, a missing directory, no permission): exit status 1.
public struct OutputError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ path: String, _ errno: Int32) { description = "cannot write '\(path)': \(String(cString: strerror(errno)))" }
    init(_ message: String) { description = message }
}

/// An output file being written: to a temporary file renamed over the target at `commit()`, or
/// straight to a device or FIFO.
public final class Output {
    let path: String
    /// The temporary file until it is renamed over `path` (nil: writing `path` directly).
    var tmp: String?
    let fd: Int32

    public init(_ path: String) throws(OutputError) {
        self.path = path
        var st = stat()
        if stat(path, &st) == 0, st.st_mode & S_IFMT != S_IFREG {
            guard st.st_mode & S_IFMT != S_IFDIR else { throw OutputError(path, EISDIR) }
            tmp = nil
            fd = open(path, O_WRONLY | O_CLOEXEC)
        } else {
            let dir = (path as NSString).deletingLastPathComponent
            let base = (path as NSString).lastPathComponent
            let t = (dir.isEmpty ? "" : dir + "/") + ".\(base).pcpsim-\(getpid()).tmp"
            tmp = t
            fd = open(t, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if fd < 0 { tmp = nil }
        }
        guard fd >= 0 else { throw OutputError(path, errno) }
    }

    deinit {
        close(fd)
        if let tmp { unlink(tmp) }
    }

    public func write(_ data: Data) throws(OutputError) {
        var failure: Int32 = 0
        data.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
            var done = 0
            while done < b.count {
                let n = Glibc.write(fd, b.baseAddress! + done, b.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                done += n
            }
        }
        if failure != 0 { throw OutputError(path, failure) }
    }

    /// Makes the written bytes the file's content: synced and renamed for a regular file.
    public func commit() throws(OutputError) {
        guard let tmp else { return }
        guard fsync(fd) == 0 else { throw OutputError(path, errno) }
        guard rename(tmp, path) == 0 else { throw OutputError(path, errno) }
        self.tmp = nil
    }
}

/// JSON as pcpsim writes it: indented, keys sorted, so equal values give equal bytes.
public enum PrettyJSON {
    public static func encode<T: Encodable>(_ v: T) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(v)
    }
}
