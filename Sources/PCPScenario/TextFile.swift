import Foundation

/// Whole files in and out, with the errors a user can act on.
public enum TextFile {
    public static func read(_ path: String) throws(UsageError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UsageError("cannot read '\(path)': no such file or not readable")
        }
        return String(decoding: data, as: UTF8.self)
    }

    public static func write(_ data: Data, to path: String) throws(UsageError) {
        guard FileManager.default.createFile(atPath: path, contents: data) else { throw UsageError("cannot write '\(path)'") }
    }
}

extension TextFile {
    /// Writes a temporary file beside `path`, then renames it over `path`: a reader (or a merge
    /// after a killed job) sees the whole file or none. Anything but a regular file (a device,
    /// a pipe) is written in place, never replaced.
    public static func writeAtomically(_ data: Data, to path: String) throws(UsageError) {
        var st = stat()
        if stat(path, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG { return try write(data, to: path) }
        let tmp = path + ".tmp.\(getpid())"
        guard (try? data.write(to: URL(fileURLWithPath: tmp))) != nil, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw UsageError("cannot write '\(path)'")
        }
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
