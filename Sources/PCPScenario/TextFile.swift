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

/// JSON as pcpsim writes it: indented, keys sorted, so equal values give equal bytes.
public enum PrettyJSON {
    public static func encode<T: Encodable>(_ v: T) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(v)
    }
}
