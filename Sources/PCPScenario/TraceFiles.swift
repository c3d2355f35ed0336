import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PCPModel
import PCPRender
import Synchronization

/// Trace captures and trace output as files.
public enum TraceFile {
    /// A capture's text, gunzipped (by gzip) when its name ends in .gz. The same regular file
    /// (path, device, inode, size and modification time) read again gives the text read last;
    /// a FIFO is read each time.
    public static func read(_ path: String) throws(UsageError) -> String {
        var st = stat()
        let regular = stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFREG
        let key = regular ? "\(path) \(st.st_dev) \(st.st_ino) \(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)" : nil
        if let key, let hit = lastRead.withLock({ $0?.key == key ? $0?.text : nil }) { return hit }
        let text = try readUncached(path)
        if let key { lastRead.withLock { $0 = (key, text) } }
        return text
    }

    /// The last capture read: a replay-check reads its capture in each of its passes.
    private static let lastRead = Mutex<(key: String, text: String)?>(nil)

    static func readUncached(_ path: String) throws(UsageError) -> String {
        guard path.hasSuffix(".gz") else { return try TextFile.read(path) }
        guard FileManager.default.isReadableFile(atPath: path) else { throw UsageError("cannot read '\(path)': no such file or not readable") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-dc", path]
        let out = Pipe()
        p.standardOutput = out
        do { try p.run() } catch { throw UsageError("cannot run /bin/gzip to read '\(path)': \(error)") }
        // read(2) by hand: FileHandle's read traps on EINTR, which gzip's SIGCHLD can cause.
        let fd = out.fileHandleForReading.fileDescriptor
        var data = Data(), buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 { data.append(contentsOf: buffer[..<n]); continue }
            if n == 0 { break }
            guard errno == EINTR else { throw UsageError("cannot read '\(path)' through gzip: \(String(cString: strerror(errno)))") }
        }
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw UsageError("'\(path)' is not a readable gzip file") }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Streams fired tracepoints to a temporary file as ftrace text; `finish()` writes the header
/// (with the entry count) and then the events to the output. Every write is checked.
public final class TraceWriter {
    let path: String, cpus: Int
    let body: FileHandle
    let tmp: String
    var entries = 0
    var buffer = ""
    /// The first write error of the body, reported by `finish()`.
    var failure: OutputError?

    public init(path: String, cpus: Int) throws(OutputError) {
        self.path = path
        self.cpus = cpus
        tmp = NSTemporaryDirectory() + "pcpsim-trace-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).body"
        guard FileManager.default.createFile(atPath: tmp, contents: nil), let h = FileHandle(forWritingAtPath: tmp) else {
            throw OutputError("cannot write a temporary file in \(NSTemporaryDirectory()) for '\(path)'")
        }
        body = h
    }

    deinit { try? FileManager.default.removeItem(atPath: tmp) }

    public func write(cpu: Int, timeNs: Int64, _ events: [TraceEvent]) {
        for e in events {
            buffer += TraceText.line(cpu: cpu, timeNs: timeNs, e)
            entries += 1
        }
        if buffer.utf8.count > 1 << 20 { flush() }
    }

    func flush() {
        guard failure == nil else { buffer = ""; return }
        do { try body.write(contentsOf: Data(buffer.utf8)) } catch {
            failure = OutputError("cannot write the trace for '\(path)' in \(NSTemporaryDirectory()): \(error.localizedDescription)")
        }
        buffer = ""
    }

    /// Writes the header and the events to `path`.
    public func finish() throws(OutputError) {
        flush()
        try? body.close()
        if let failure { throw failure }
        let out = try Output(path)
        try out.write(Data(TraceText.header(entries: entries, cpus: cpus).utf8))
        guard let input = FileHandle(forReadingAtPath: tmp) else { throw OutputError("cannot read back '\(tmp)'") }
        defer { try? input.close() }
        while case let chunk = input.readData(ofLength: 1 << 20), !chunk.isEmpty { try out.write(chunk) }
        try out.commit()
    }
}
