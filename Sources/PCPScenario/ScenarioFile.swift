import Foundation
import TOMLKit

/// A scenario as a file: JSON (keys sorted), or TOML when the name ends in `.toml`. File
/// paths in it (the machine's files, a replayed trace, the trace output) are relative to the
/// scenario file, so the two can move together; in a `Scenario` value they are relative to the
/// working directory.
public enum ScenarioFile {
    public static func load(_ path: String) throws(UsageError) -> Scenario {
        let text = try TextFile.read(path)
        let s: Scenario
        do { s = try isTOML(path) ? TOMLDecoder().decode(Scenario.self, from: text) : JSONDecoder().decode(Scenario.self, from: Data(text.utf8)) } catch {
            throw UsageError("\(path): \(describe(error))")
        }
        let dir = FilePaths.directory(of: path)
        return s.mappingPaths { FilePaths.fromFile(dir, $0) }
    }

    public static func save(_ s: Scenario, to path: String) throws {
        let dir = FilePaths.directory(of: path)
        let file = s.mappingPaths { FilePaths.toFile(dir, $0) }
        let data: Data
        do {
            if isTOML(path) {
                // TOML integers are signed 64-bit.
                guard s.seed <= UInt64(Int64.max) else { throw UsageError("seed \(s.seed) does not fit a TOML integer: save as .json") }
                data = Data((try TOMLEncoder().encode(file) + "\n").utf8)
            } else {
                data = try PrettyJSON.encode(file) + Data("\n".utf8)
            }
        } catch let e as UsageError { throw e } catch {
            throw UsageError("cannot encode the scenario: \(error)")
        }
        try TextFile.write(data, to: path)
    }

    static func isTOML(_ path: String) -> Bool { path.hasSuffix(".toml") }

    /// A decoding error in one line: where in the file, and what.
    static func describe(_ error: Error) -> String {
        if let e = error as? TOMLParseError { return "line \(e.source.begin.line): \(e.description)" }
        guard let e = error as? DecodingError else { return "\(error)" }
        let (path, what): ([CodingKey], String)
        switch e {
        case .typeMismatch(let t, let c): (path, what) = (c.codingPath, "expected \(t)")
        case .valueNotFound(let t, let c): (path, what) = (c.codingPath, "expected \(t)")
        // TOMLKit reports a value of the wrong type as a missing key (its path ending in the key).
        case .keyNotFound(let k, let c):
            (path, what) = (c.codingPath.last?.stringValue == k.stringValue ? c.codingPath : c.codingPath + [k], "missing or of the wrong type")
        case .dataCorrupted(let c): (path, what) = (c.codingPath, c.debugDescription)
        @unknown default: return "\(error)"
        }
        let key = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        return (key.isEmpty ? "" : "\(key): ") + what
    }
}

extension Scenario {
    /// The scenario with every file path it names passed through `f`.
    func mappingPaths(_ f: (String) -> String) -> Scenario {
        var s = self
        switch machine {
        case .x86: break
        case .imported(var i):
            i.zoneinfo = f(i.zoneinfo)
            i.pagetypeinfo = i.pagetypeinfo.map(f)
            s.machine = .imported(i)
        case .saved(let path): s.machine = .saved(path: f(path))
        }
        if case .trace(let path) = workload { s.workload = .trace(f(path)) }
        s.traceOut = traceOut.map(f)
        return s
    }
}

/// Lexical path arithmetic (no file system access, so no symlink resolution). Absolute
/// paths stay as they are.
enum FilePaths {
    /// The directory part of a path ("" for a bare name).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// A path relative to the working directory, rewritten relative to `dir`.
    static func toFile(_ dir: String, _ p: String) -> String {
        p.hasPrefix("/") ? p : relative(absolute(p), from: absolute(dir))
    }

    /// A path relative to `dir`, rewritten relative to the working directory.
    static func fromFile(_ dir: String, _ p: String) -> String {
        p.hasPrefix("/") ? p : relative(absolute(dir.isEmpty ? p : dir + "/" + p), from: absolute(""))
    }

    /// The absolute path `target` as seen from the absolute directory `base`.
    static func relative(_ target: String, from base: String) -> String {
        let from = components(base), to = components(target)
        let common = zip(from, to).prefix { $0 == $1 }.count
        return (Array(repeating: "..", count: from.count - common) + to[common...]).joined(separator: "/")
    }

    static func absolute(_ p: String) -> String {
        normalize(p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p)
    }

    static func components(_ p: String) -> [String] { p.split(separator: "/").map(String.init) }

    /// An absolute path without `.` components and `x/..` pairs.
    static func normalize(_ p: String) -> String {
        var out: [String] = []
        for c in components(p) where c != "." {
            if c == ".." { _ = out.popLast() } else { out.append(c) }
        }
        return "/" + out.joined(separator: "/")
    }
}
