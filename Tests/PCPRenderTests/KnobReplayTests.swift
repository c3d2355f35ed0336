import Foundation
import XCTest
import PCPLive
import PCPModel
import PCPRender

/// fixtures/knobs-6.18/results.tsv, 2237 writes to a real 6.18 kernel's /proc/sys/vm, replayed
/// through the knob table with procfs' file offset rules: every column matches, every row.
/// (`KnobMountReplayTests` replays the same rows through a mount with the same C writer.)
final class KnobReplayTests: XCTestCase {
    func testEveryCapturedWriteGivesTheKernelsResult() throws {
        let rows = KnobRows.load(Fixture.root.appendingPathComponent("fixtures/knobs-6.18/results.tsv").path)
        XCTAssertEqual(rows.count, 2237)
        let m = try Fixture.machine()
        let live = LiveMachine(machine: m, workload: nil, seed: 1)
        XCTAssertEqual(live.write("proc/sys/vm/user_reserve_kbytes", Array("100389".utf8)), 0, "the captured VM's boot value")
        let knobs = live.entries.filter { $0.path.hasPrefix("proc/sys/vm/") }.map(\.path)
        let initial = Dictionary(uniqueKeysWithValues: knobs.map { ($0, live.read($0)) })
        let initialKnobs = m.knobs
        var mismatches: [String] = []
        for row in rows {
            let path = "proc/sys/vm/" + row["KNOB"]
            let got = replay(row, path: path, live)
            for (column, value) in got where row[column] != value {
                mismatches.append("\(row["ID"]) \(row["KNOB"]) \(column): kernel \(row[column]), pcpsim \(value)")
            }
            for k in knobs where m.knobs != initialKnobs && live.read(k) != initial[k]! && k != path {
                _ = live.write(k, initial[k]!)
            }
            _ = live.write(path, initial[path]!)
        }
        XCTAssertEqual(mismatches.count, 0, mismatches.prefix(40).joined(separator: "\n"))
    }

    /// One row as knobwrite does it, with procfs' offsets: write and O_APPEND (ignored by
    /// procfs) at the fd's offset, pwrite at its own; the offset moves by what the handler says.
    func replay(_ row: KnobRows.Row, path: String, _ live: LiveMachine) -> [String: String] {
        let readable = (live.entries.first { $0.path == path }?.mode ?? 0) & 0o444 != 0
        let anyOffset = live.entries.first { $0.path == path }?.readsAtAnyOffset ?? false
        func read(at offset: Int) -> (String, String) {
            guard readable else { return ("-EACCES", "-") }
            let text = live.read(path)
            let part = !anyOffset && offset > 0 ? [] : Array(text.dropFirst(min(offset, text.count)))
            return ("\(part.count)", KnobRows.escape(part))
        }
        var out: [String: String] = [:]
        out["BEFORE"] = readable ? KnobRows.escape(live.read(path)) : "-EACCES"
        var pos = 0
        func call(_ data: [UInt8], at offset: Int?) -> (String, String) {
            switch live.write(path, data, at: offset ?? pos) {
            case .taken(let n, let moves):
                if offset == nil && moves { pos += n }
                return ("\(n)", "\(pos)")
            case .refused(let e):
                return ("-" + KnobRows.errnoName(e), "\(pos)")
            }
        }
        let pwrite = row["HOW"] == "pwrite"
        (out["R1"], out["POS1"]) = call(KnobRows.decode(row["DATA1"]), at: pwrite ? Int(row["OFFSET"])! : nil)
        if row["DATA2"] != "-" { (out["R2"], out["POS2"]) = call(KnobRows.decode(row["DATA2"]), at: nil) }
        let first = read(at: 0)
        (out["READ0"], out["READ0_TEXT"]) = first
        out["READ2"] = readable ? read(at: Int(first.0) ?? 0).0 : "-EACCES"
        (out["PREAD1"], out["PREAD1_TEXT"]) = read(at: 1)
        return out
    }
}

/// The rows of a knobwrite table.
enum KnobRows {
    struct Row {
        let fields: [String: String]
        subscript(_ column: String) -> String { fields[column] ?? "" }
    }

    static func load(_ path: String) -> [Row] {
        let lines = String(decoding: FileManager.default.contents(atPath: path)!, as: UTF8.self)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }
        let header = lines[0].split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        return lines.dropFirst().map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return Row(fields: Dictionary(uniqueKeysWithValues: zip(header, f)))
        }
    }

    /// DATA: '+'-joined tokens, hex bytes or HH*N.
    static func decode(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        for token in s.split(separator: "+") {
            if let star = token.firstIndex(of: "*") {
                out += [UInt8](repeating: UInt8(token[..<star], radix: 16)!, count: Int(token[token.index(after: star)...])!)
            } else {
                var i = token.startIndex
                while i < token.endIndex {
                    let j = token.index(i, offsetBy: 2)
                    out.append(UInt8(token[i..<j], radix: 16)!)
                    i = j
                }
            }
        }
        return out
    }

    /// knobwrite's C escaping.
    static func escape<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s = ""
        for c in bytes {
            switch c {
            case 0x5C: s += "\\\\"
            case 0x0A: s += "\\n"
            case 0x09: s += "\\t"
            case 0x20..<0x7F: s += String(UnicodeScalar(c))
            default: s += String(format: "\\x%02x", c)
            }
        }
        return s
    }

    static func escape(_ text: String) -> String { escape(Array(text.utf8)) }

    static func errnoName(_ e: Int32) -> String {
        [12: "ENOMEM", 13: "EACCES", 22: "EINVAL"][e] ?? "E\(e)"
    }
}
