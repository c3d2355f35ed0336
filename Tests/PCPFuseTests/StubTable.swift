import Dispatch
import Glibc
import PCPFuse
import Synchronization

/// A FileTable shaped like pcpsim's: snapshot files that change only when it publishes (a
/// counter of 20 lines, a 3-page file, a large one, a 300-byte one, a 0400 one), a 0644 sysctl
/// validated 0...100, a 0200 sysctl accepting only "1", a live file made afresh each time it
/// is read, and a live file whose render can be held (like an invariant check that takes long).
final class StubTable: FileTable, @unchecked Sendable {
    struct State {
        /// The publication the snapshot files show.
        var generation = 1
        /// Renders of the live file so far.
        var liveRenders = 0
        var knob = 10
        var triggers = 0
    }

    let files = {
        var slow = FileEntry(path: "sys/kernel/debug/stub/slow", mode: 0o444, fromSnapshot: false)
        slow.slow = true
        return [
        FileEntry(path: "proc/counter", mode: 0o444),
        FileEntry(path: "proc/pages", mode: 0o444),
        FileEntry(path: "proc/big", mode: 0o444),
        FileEntry(path: "proc/buddyinfo", mode: 0o444),
        FileEntry(path: "proc/secret", mode: 0o400),
        FileEntry(path: "proc/sys/vm/knob", mode: 0o644, fromSnapshot: false),
        FileEntry(path: "proc/sys/vm/trigger", mode: 0o200, fromSnapshot: false),
        FileEntry(path: "sys/kernel/mm/flag", mode: 0o444),
        FileEntry(path: "sys/kernel/debug/stub/live", mode: 0o444, fromSnapshot: false),
        slow,
        ]
    }()
    /// 60,000 bytes: more than procps' 8 KiB buffer, less than one FUSE read (128 KiB).
    static let big = (0..<60_000).map { UInt8(ascii: "a") + UInt8($0 % 26) }
    /// 300 bytes, like fuse-floor.c's file.
    static let buddyinfo = Array(repeating: UInt8(ascii: "x"), count: 299) + [UInt8(ascii: "\n")]

    /// 20 lines of 13 bytes, all naming the same number, so a torn snapshot shows.
    static func counter(_ generation: Int) -> String {
        String(repeating: line(generation), count: 20)
    }

    /// Three pages or so of lines naming `generation`, whose line count (and so size) changes
    /// with it: a torn read mixes numbers, and one cut to another publication's size shows.
    static func pages(_ generation: Int) -> String {
        String(repeating: line(generation), count: 900 + generation % 7 * 13)
    }

    /// The generation a `pages` or `counter` text names, if the whole text is one generation's.
    static func generation(ofPages text: String) -> Int? {
        guard text.count >= 13, let generation = Int(text.prefix(12).dropFirst(6)) else { return nil }
        return text == pages(generation) ? generation : nil
    }

    private static func line(_ generation: Int) -> String {
        let digits = String(generation)
        return "count " + String(repeating: "0", count: max(0, 6 - digits.count)) + digits + "\n"
    }

    let state = Mutex(State())
    /// While `holdSlow` is set, a read of the slow file signals `slowStarted` and waits for
    /// `releaseSlow`.
    let holdSlow = Atomic<Bool>(false)
    let slowStarted = DispatchSemaphore(value: 0)
    let releaseSlow = DispatchSemaphore(value: 0)
    /// Told after each publication; set once, before anything is read.
    weak var server: FuseServer?

    /// A new publication of the snapshot files, shown to readers before it returns.
    func publish() {
        state.withLock { $0.generation += 1 }
        server?.contentChanged()
    }

    func read(_ path: String) -> [UInt8] {
        if path == "sys/kernel/debug/stub/slow" {
            if holdSlow.load(ordering: .acquiring) {
                slowStarted.signal()
                releaseSlow.wait()
            }
            return Array("ok\n".utf8)
        }
        return state.withLock { state in
            switch path {
            case "proc/counter": return Array(Self.counter(state.generation).utf8)
            case "proc/pages": return Array(Self.pages(state.generation).utf8)
            case "proc/big": return Self.big
            case "proc/buddyinfo": return Self.buddyinfo
            case "proc/secret": return Array("secret\n".utf8)
            case "proc/sys/vm/knob": return Array("\(state.knob)\n".utf8)
            case "sys/kernel/mm/flag": return Array("1\n".utf8)
            case "sys/kernel/debug/stub/live":
                state.liveRenders += 1
                return Array(Self.counter(state.liveRenders).utf8)
            default: return []
            }
        }
    }

    /// A write to the trigger publishes, as a knob write does in pcpsim: the snapshot files show
    /// the next generation when the write returns.
    func write(_ path: String, _ data: [UInt8]) -> Int32 {
        let text = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        let error = state.withLock { state -> Int32 in
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
        if error == 0 && path == "proc/sys/vm/trigger" {
            publish()
        }
        return error
    }
}
