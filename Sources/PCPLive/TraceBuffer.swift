import Foundation
import PCPModel
import PCPRender

/// The mount's tracefs: a ring buffer of kmem events as ftrace text, recorded while
/// tracing_on and the event's enable switch (the mount's controls) say so.
final class TraceBuffer: @unchecked Sendable {
    /// buffer_size_kb is fixed here: the newest 65536 events are kept.
    static let capacity = 65536
    private let lock = NSLock()
    private var lines: [String] = []
    private var start = 0
    private var written = 0
    private var consumed = 0
    private var enabled: Set<String> = []
    private var on = true
    let cpus: Int

    init(cpus: Int) { self.cpus = cpus }

    func add(cpu: Int, timeNs: Int64, _ events: [TraceEvent]) {
        lock.lock()
        defer { lock.unlock() }
        guard on else { return }
        for e in events where enabled.contains(e.name) {
            let l = TraceText.line(cpu: cpu, timeNs: timeNs, e)
            if lines.count < TraceBuffer.capacity { lines.append(l) } else { lines[start] = l; start = (start + 1) % TraceBuffer.capacity }
            written += 1
        }
    }

    private var ordered: [String] { Array(lines[start...] + lines[..<start]) }

    /// /sys/kernel/tracing/trace: the header and every buffered event.
    func trace() -> String {
        lock.lock()
        defer { lock.unlock() }
        return TraceText.header(entries: lines.count, cpus: cpus).replacingOccurrences(
            of: "\(lines.count)/\(lines.count)", with: "\(lines.count)/\(written)") + ordered.joined()
    }

    /// trace_pipe: the events not read through it yet. A reader that finds none gets an empty
    /// read (end of file) rather than blocking: the FUSE loop must never block.
    func pipe() -> String {
        lock.lock()
        defer { lock.unlock() }
        let all = ordered
        let fresh = max(0, min(all.count, written - consumed))
        consumed = written
        return all.suffix(fresh).joined()
    }

    /// Writing to trace empties the buffer, as `echo > trace` does.
    func clear() {
        lock.lock()
        lines.removeAll()
        start = 0
        written = 0
        consumed = 0
        lock.unlock()
    }

    /// Takes the switches from the mount's controls (tracing_on, events/kmem/*/enable).
    func configure(_ c: MountControls) {
        lock.lock()
        on = c.tracingOn
        enabled = c.enabledEvents
        lock.unlock()
    }
}
