import Foundation
import PCPModel
import PCPRender

/// A machine that keeps running: a background thread advances the workload in simulated
/// time at `pace` simulated seconds per wall second, readers get the latest published
/// snapshot, and knob writes are applied between two operations.
public final class LiveMachine: @unchecked Sendable {
    /// One file of the tree: rendered from a snapshot, or a knob.
    public struct Entry: Sendable {
        public let path: String
        public let mode: UInt16
        let render: (@Sendable (Snapshot) -> String)?
        let knob: Knob?
        /// pcpsim's own knob (sys/kernel/mm/pcpsim/...), handled here.
        let own: OwnKnob?
        /// Rendered from the published snapshot: the same text for every reader until the next
        /// publication (not a knob, nor computed or consumed by the read).
        public var isSnapshot: Bool { render != nil }
    }

    /// pcpsim's knobs (the design, the pace, the RFC's open questions) and the tracefs files.
    enum OwnKnob: Hashable, Sendable {
        case policy, pace, workload, remoteFreeLock, phase2Chunk
        case trace, tracePipe, tracingOn, eventEnable(String)

        static let all: [OwnKnob] = [.policy, .pace, .workload, .remoteFreeLock, .phase2Chunk, .trace, .tracePipe, .tracingOn]
            + TraceEvent.names.map { .eventEnable($0) }

        var path: String {
            switch self {
            case .policy: "sys/kernel/mm/pcpsim/policy"
            case .pace: "sys/kernel/mm/pcpsim/pace"
            case .workload: "sys/kernel/mm/pcpsim/workload"
            case .remoteFreeLock: "sys/kernel/mm/pcpsim/remote_free_lock"
            case .phase2Chunk: "sys/kernel/mm/pcpsim/phase2_chunk"
            case .trace: "sys/kernel/tracing/trace"
            case .tracePipe: "sys/kernel/tracing/trace_pipe"
            case .tracingOn: "sys/kernel/tracing/tracing_on"
            case .eventEnable(let e): "sys/kernel/tracing/events/kmem/\(e)/enable"
            }
        }

        var mode: UInt16 {
            switch self {
            case .workload: 0o444
            case .tracePipe: 0o440
            default: 0o644
            }
        }
    }

    public let entries: [Entry]
    private let index: [String: Int]
    private let machine: Machine
    private var workload: Workload?
    private let engine: Engine
    private var pace: Double
    private let workloadName: String
    /// Guards `machine` and `workload`: held by the sim thread for one chunk of
    /// operations at a time, and by writers while they apply a knob.
    private let simLock = NSLock()
    /// Guards `published` and the render cache.
    private let readLock = NSLock()
    private var published: Snapshot
    private var generation: UInt64 = 0
    private var cache: [(generation: UInt64, bytes: [UInt8])]
    private var running = false
    /// Called after every publication, on the publishing thread and outside the machine's
    /// locks (the mount makes readers see the new snapshot before it returns). Set it before
    /// `start()`.
    public var onPublish: (@Sendable () -> Void)?

    /// Wall time between two publications.
    static let tick: TimeInterval = 0.05
    /// The most operations one tick runs, so the simulation never takes a whole core; when
    /// the workload cannot keep up with the pace, the rest of the tick passes idle.
    static let opsPerTick = 100_000
    /// Operations between two releases of the sim lock (a writer waits at most this long).
    static let chunk = 2_000

    public init(machine: Machine, workload: Workload?, seed: UInt64, pace: Double, cost: CostModel = CostModel()) {
        self.machine = machine
        self.workload = workload
        self.workloadName = workload?.name ?? "none"
        self.engine = Engine(machine: machine, seed: seed, cost: cost)
        self.pace = pace
        var e = ProcFiles.all(for: machine).map { Entry(path: $0.path, mode: $0.mode, render: $0.render, knob: nil, own: nil) }
        e += KnobTable.all.map { Entry(path: $0.path, mode: $0.mode, render: nil, knob: $0, own: nil) }
        e += OwnKnob.all.map { Entry(path: $0.path, mode: $0.mode, render: nil, knob: nil, own: $0) }
        e.append(Entry(path: LiveMachine.invariantsPath, mode: 0o444, render: nil, knob: nil, own: nil))
        entries = e
        index = Dictionary(uniqueKeysWithValues: e.enumerated().map { ($1.path, $0) })
        published = machine.snapshot()
        published.locks = engine.locks
        traces = TraceBuffer(cpus: machine.nrCPUs)
        engine.traceSink = { [traces] cpu, t, events in traces.add(cpu: cpu, timeNs: t, events) }
        cache = Array(repeating: (UInt64.max, []), count: e.count)
    }

    /// pcpsim's own debugfs file: "ok" or the first broken invariant of the running machine,
    /// checked (O(pages)) at the moment of the read.
    public static let invariantsPath = "sys/kernel/debug/pcpsim/invariants"
    private let checker = InvariantChecker()
    private let traces: TraceBuffer

    /// Fresh content of a file from the latest snapshot (EACCES for write-only knobs is the
    /// FUSE layer's business: it never calls this for them).
    public func read(_ path: String) -> [UInt8] {
        guard let i = index[path] else { return [] }
        if path == LiveMachine.invariantsPath { return checkInvariants() }
        if let own = entries[i].own { return Array(readOwn(own).utf8) }
        readLock.lock()
        defer { readLock.unlock() }
        if cache[i].generation == generation { return cache[i].bytes }
        let e = entries[i]
        let text = e.render?(published) ?? e.knob?.read?(published) ?? ""
        cache[i] = (generation, Array(text.utf8))
        return cache[i].bytes
    }

    /// Validates a knob write synchronously, applies it between two operations, and
    /// republishes so the next read shows it. Returns 0 or an errno.
    public func write(_ path: String, _ data: [UInt8]) -> Int32 {
        guard let i = index[path] else { return KnobWriteError.accessDenied.errno }
        if data.isEmpty { return 0 }
        if let own = entries[i].own { return writeOwn(own, data) }
        guard let knob = entries[i].knob else { return KnobWriteError.accessDenied.errno }
        let w: KnobWrite
        do { w = try knob.parse(data) } catch let e as KnobWriteError { return e.errno } catch { return KnobWriteError.invalid.errno }
        simLock.lock()
        do { try w.apply(to: machine) } catch { simLock.unlock(); return KnobWriteError.invalid.errno }
        publish()
        simLock.unlock()
        onPublish?()
        return 0
    }

    /// A choice file as sysfs prints one: every option, the current one in brackets.
    static func choices(_ all: [String], _ current: String) -> String {
        all.map { $0 == current ? "[\($0)]" : $0 }.joined(separator: " ") + "\n"
    }

    private func readOwn(_ k: OwnKnob) -> String {
        switch k {
        case .trace: return traces.trace()
        case .tracePipe: return traces.pipe()
        case .tracingOn: return traces.isOn ? "1\n" : "0\n"
        case .eventEnable(let e): return traces.isEnabled(e) ? "1\n" : "0\n"
        default: break
        }
        simLock.lock()
        defer { simLock.unlock() }
        switch k {
        case .policy: return LiveMachine.choices(Policy.allCases.map(\.rawValue), machine.policy.rawValue)
        case .pace: return "\(pace)\n"
        case .workload: return workloadName + "\n"
        case .remoteFreeLock:
            return LiveMachine.choices(PCPBuddyOptions.RemoteFreeLock.allCases.map(\.rawValue), machine.pcpBuddyOptions.remoteFreeLock.rawValue)
        case .phase2Chunk:
            return LiveMachine.choices(["largest", "smallest"], machine.pcpBuddyOptions.phase2LargestFirst ? "largest" : "smallest")
        default:
            return ""
        }
    }

    /// Validates like a sysfs store (one word, optional trailing newline; EINVAL otherwise),
    /// then applies between two operations.
    private func writeOwn(_ k: OwnKnob, _ data: [UInt8]) -> Int32 {
        var b = data
        if b.last == 0x0A { b.removeLast() }
        let word = String(decoding: b, as: UTF8.self)
        switch k {
        case .trace:
            traces.clear()
            return 0
        case .tracePipe:
            return KnobWriteError.accessDenied.errno
        case .tracingOn, .eventEnable:
            // Like the kernel's event enable and tracing_on: 0 or 1.
            guard let v = try? KnobTable.parseInt(data), v == 0 || v == 1 else { return KnobWriteError.invalid.errno }
            if case .eventEnable(let e) = k { traces.setEnabled(e, v == 1) } else { traces.setOn(v == 1) }
            // The model fires tracepoints only while something listens.
            simLock.lock()
            machine.setTracer(traces.anyEnabled ? (machine.tracer ?? Tracer()) : nil)
            simLock.unlock()
            return 0
        default: break
        }
        let error = applyOwn(k, word)
        if error == 0 { onPublish?() }
        return error
    }

    /// Applies a validated own knob between two operations and republishes; 0 or an errno.
    private func applyOwn(_ k: OwnKnob, _ word: String) -> Int32 {
        simLock.lock()
        defer { simLock.unlock() }
        switch k {
        case .policy:
            guard let p = Policy(rawValue: word) else { return KnobWriteError.invalid.errno }
            machine.setPolicy(p)
        case .pace:
            guard let v = Double(word), v > 0, v <= 1000 else { return KnobWriteError.invalid.errno }
            pace = v
        case .workload:
            return KnobWriteError.accessDenied.errno
        case .remoteFreeLock:
            guard let v = PCPBuddyOptions.RemoteFreeLock(rawValue: word) else { return KnobWriteError.invalid.errno }
            var o = machine.pcpBuddyOptions
            o.remoteFreeLock = v
            machine.setPCPBuddyOptions(o)
        case .phase2Chunk:
            guard word == "largest" || word == "smallest" else { return KnobWriteError.invalid.errno }
            var o = machine.pcpBuddyOptions
            o.phase2LargestFirst = word == "largest"
            machine.setPCPBuddyOptions(o)
        default:
            return KnobWriteError.invalid.errno
        }
        publish()
        return 0
    }

    private func checkInvariants() -> [UInt8] {
        simLock.lock()
        defer { simLock.unlock() }
        do { try checker.check(machine, after: "the operations so far") } catch { return Array("\(error)\n".utf8) }
        return Array("ok\n".utf8)
    }

    /// Runs `ops` operations now, on the caller's thread (tests; the mount uses its thread).
    public func step(ops: Int) {
        simLock.lock()
        if var w = workload {
            workload = nil
            if (try? engine.run(&w, ops: ops)) != nil { workload = w }
            publish()
        }
        simLock.unlock()
        onPublish?()
    }

    /// Starts the simulation thread.
    public func start() {
        running = true
        let t = Thread { [self] in loop() }
        t.name = "pcpsim-sim"
        t.start()
    }

    public func stop() {
        simLock.lock()
        running = false
        simLock.unlock()
    }

    private func publish() {
        var s = machine.snapshot()
        s.locks = engine.locks
        readLock.lock()
        published = s
        generation &+= 1
        readLock.unlock()
    }

    private func loop() {
        var next = Date()
        while true {
            next += LiveMachine.tick
            simLock.lock()
            let (isRunning, p) = (running, pace)
            simLock.unlock()
            if !isRunning { return }
            advance(by: Int64(LiveMachine.tick * p * 1e9))
            publish()
            onPublish?()
            let wait = next.timeIntervalSinceNow
            if wait > 0 { Thread.sleep(forTimeInterval: wait) } else { next = Date() }
        }
    }

    /// Runs workload operations until `ns` of simulated time have passed (or the tick's
    /// budget is spent), then lets the remaining time pass idle.
    private func advance(by ns: Int64) {
        simLock.lock()
        let target = max(machine.now, engine.nowNs) + ns
        simLock.unlock()
        var done = 0
        while done < LiveMachine.opsPerTick {
            simLock.lock()
            defer { simLock.unlock() }
            guard engine.nowNs < target, var w = workload else { break }
            workload = nil  // moved out, so its arrays are mutated in place, not copied
            do {
                let n = try engine.run(&w, ops: LiveMachine.chunk, untilNs: target)
                done += n
                workload = w
                if n == 0 { break }
            } catch {
                // A workload whose bookkeeping fails stops; the machine stays consistent.
                break
            }
        }
        simLock.lock()
        if machine.now < target { machine.advanceTime(to: target) }
        simLock.unlock()
    }
}
