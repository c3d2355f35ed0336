import Foundation
import PCPModel
import PCPRender

/// Trace captures and trace output as files.
public enum TraceFile {
    /// A capture's text, gunzipped (by gzip) when its name ends in .gz.
    public static func read(_ path: String) throws(UsageError) -> String {
        guard path.hasSuffix(".gz") else { return try TextFile.read(path) }
        guard FileManager.default.isReadableFile(atPath: path) else { throw UsageError("cannot read '\(path)': no such file or not readable") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-dc", path]
        let out = Pipe()
        p.standardOutput = out
        do { try p.run() } catch { throw UsageError("cannot run /bin/gzip to read '\(path)': \(error)") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw UsageError("'\(path)' is not a readable gzip file") }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Streams fired tracepoints to a file as ftrace text; the header (with the entry count) is
/// put in front at the end.
public final class TraceWriter {
    let path: String, cpus: Int
    let body: FileHandle
    let tmp: String
    var entries = 0
    var buffer = ""

    public init(path: String, cpus: Int) throws(UsageError) {
        self.path = path
        self.cpus = cpus
        tmp = path + ".body"
        guard FileManager.default.createFile(atPath: tmp, contents: nil), let h = FileHandle(forWritingAtPath: tmp) else {
            throw UsageError("cannot write '\(path)'")
        }
        body = h
    }

    public func write(cpu: Int, timeNs: Int64, _ events: [TraceEvent]) {
        for e in events {
            buffer += TraceText.line(cpu: cpu, timeNs: timeNs, e)
            entries += 1
        }
        if buffer.utf8.count > 1 << 20 { flush() }
    }

    func flush() {
        body.write(Data(buffer.utf8))
        buffer = ""
    }

    /// Writes the header and the events to `path`.
    public func finish() throws {
        flush()
        try body.close()
        guard FileManager.default.createFile(atPath: path, contents: Data(TraceText.header(entries: entries, cpus: cpus).utf8)),
              let out = FileHandle(forWritingAtPath: path), let input = FileHandle(forReadingAtPath: tmp) else {
            throw UsageError("cannot write '\(path)'")
        }
        out.seekToEndOfFile()
        while case let chunk = input.readData(ofLength: 1 << 20), !chunk.isEmpty { out.write(chunk) }
        try out.close()
        try FileManager.default.removeItem(atPath: tmp)
    }
}
