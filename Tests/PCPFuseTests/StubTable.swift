import Glibc
import PCPFuse
import Synchronization

/// A FileTable shaped like pcpsim's: a counter that changes on every generation, a large and a
/// 300-byte file, a 0644 knob validated 0...100, a 0200 trigger accepting only "1", a 0400 file.
final class StubTable: FileTable {
    struct State {
        var generations = 0
        var knob = 10
        var triggers = 0
    }

    let files = [
        FileEntry(path: "proc/counter", mode: 0o444),
        FileEntry(path: "proc/big", mode: 0o444),
        FileEntry(path: "proc/buddyinfo", mode: 0o444),
        FileEntry(path: "proc/secret", mode: 0o400),
        FileEntry(path: "proc/sys/vm/knob", mode: 0o644),
        FileEntry(path: "proc/sys/vm/trigger", mode: 0o200),
        FileEntry(path: "sys/kernel/mm/flag", mode: 0o444),
    ]
    /// 60,000 bytes: more than procps' 8 KiB buffer, less than one FUSE read (128 KiB).
    static let big = (0..<60_000).map { UInt8(ascii: "a") + UInt8($0 % 26) }
    /// 300 bytes, like fuse-floor.c's file.
    static let buddyinfo = Array(repeating: UInt8(ascii: "x"), count: 299) + [UInt8(ascii: "\n")]
    /// 20 lines of 13 bytes, all naming the same generation, so a torn snapshot shows.
    static func counter(_ generation: Int) -> String {
        let digits = String(generation)
        let line = "count " + String(repeating: "0", count: 6 - digits.count) + digits + "\n"
        return String(repeating: line, count: 20)
    }

    let state = Mutex(State())

    func read(_ path: String) -> [UInt8] {
        state.withLock { state in
            switch path {
            case "proc/counter":
                state.generations += 1
                return Array(Self.counter(state.generations).utf8)
            case "proc/big": return Self.big
            case "proc/buddyinfo": return Self.buddyinfo
            case "proc/secret": return Array("secret\n".utf8)
            case "proc/sys/vm/knob": return Array("\(state.knob)\n".utf8)
            case "sys/kernel/mm/flag": return Array("1\n".utf8)
            default: return []
            }
        }
    }

    func write(_ path: String, _ data: [UInt8]) -> Int32 {
        let text = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        return state.withLock { state in
            switch path {
            case "proc/sys/vm/knob":
                guard text.count == 1, let value = Int(text[0]), (0...100).contains(value) else { return EINVAL }
                state.knob = value
            case "proc/sys/vm/trigger":
                guard text == ["1"] else { return EINVAL }
                state.triggers += 1
            default:
                return EACCES
            }
            return 0
        }
    }
}
