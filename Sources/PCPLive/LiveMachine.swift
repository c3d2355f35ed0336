import Foundation
import PCPModel
import PCPRender

/// A machine that keeps running: a background thread advances the workload in simulated
/// time at `pace` simulated seconds per wall second, readers get the latest published
/// snapshot, and knob writes are applied between two operations.
public final class LiveMachine: @unchecked Sendable {
    /// One file of the tree.
    public struct Entry: Sendable {
        public let path: String
        public let mode: UInt16
        let source: Source
        /// Rendered from the published snapshot: the same text for every reader until the next
        /// publication (not a knob, nor computed or consumed by the read).
        public var isSnapshot: Bool {
            if case .file = source { return true }
            return false
        }
        /// A knob whose reads honour the offset (proc_dostring).
        public var readsAtAnyOffset: Bool {
            if case .knob(let k) = source { return k.anyOffset }
            return false
        }
        /// Takes long to read (the invariant check, O(pages)).
        public var isSlow: Bool {
            if case .invariants = source { return true }
            return false
        }
    }

    /// Where a file's content comes from.
    enum Source: Sendable {
        /// Rendered from the snapshot.
        case file(@Sendable (Snapshot) -> String)
        /// A knob of the table: the machine's or the mount's own.
        case knob(Knob)
        /// tracefs `trace` (a write empties it) and `trace_pipe` (a read consumes it).
        case trace, tracePipe
        /// The invariant checker's verdict, at the moment of the read.
        case invariants
        /// sys/kernel/mm/pcpsim/save_state: a write of an absolute path saves the machine there
        /// (`pcpsim snapshot save`).
        case saveState
    }

    public let entries: [Entry]
    private let index: [String: Int]
    private let machine: Machine
    private var workload: Workload?
    private let engine: Engine
    /// Pace, workload name and tracefs switches, as the knob files set them.
    private var controls: MountControls
    /// Guards `machine`, `workload` and `controls`: held by the sim thread for one chunk of
    /// operations at a time, and by writers while they apply a knob.
    private let simLock = NSLock()
    /// Guards `published` and the render cache.
    private let readLock = NSLock()
    private var published: KnobView
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

    /// `controls` gives the starting pace; the workload's name is filled in here.
    public init(machine: Machine, workload: Workload?, seed: UInt64, controls: MountControls = MountControls(), cost: CostModel = CostModel()) {
        self.machine = machine
        self.workload = workload
        self.engine = Engine(machine: machine, seed: seed, cost: cost)
        self.controls = controls
        self.controls.workload = workload?.name ?? "none"
        var e = ProcFiles.all(for: machine).map { Entry(path: $0.path, mode: $0.mode, source: .file($0.render)) }
        e += KnobTable.all.map { Entry(path: $0.path, mode: $0.mode, source: .knob($0)) }
        e += [Entry(path: "sys/kernel/tracing/trace", mode: 0o644, source: .trace),
              Entry(path: "sys/kernel/tracing/trace_pipe", mode: 0o440, source: .tracePipe),
              Entry(path: LiveMachine.invariantsPath, mode: 0o444, source: .invariants),
              Entry(path: LiveMachine.saveStatePath, mode: 0o200, source: .saveState)]
        entries = e
        index = Dictionary(uniqueKeysWithValues: e.enumerated().map { ($1.path, $0) })
        self.controls.bootTime = Int(Date().timeIntervalSince1970)
        var s = machine.snapshot()
        s.locks = engine.locks
        s.cpu = engine.cpuTimes
        s.bootTime = self.controls.bootTime
        published = KnobView(snapshot: s, controls: self.controls)
        traces = TraceBuffer(cpus: machine.nrCPUs)
        engine.traceSink = { [traces] cpu, t, events in traces.add(cpu: cpu, timeNs: t, events) }
        cache = Array(repeating: (UInt64.max, []), count: e.count)
    }

    /// pcpsim's own debugfs file: "ok" or the first broken invariant of the running machine,
    /// checked (O(pages)) at the moment of the read.
    public static let invariantsPath = "sys/kernel/debug/pcpsim/invariants"
    /// pcpsim's own control file: writing an absolute path saves the machine to it.
    public static let saveStatePath = "sys/kernel/mm/pcpsim/save_state"
    /// Saves the machine to a path written to `saveStatePath`: 0 or an errno. Unset: EPERM.
    public var onSaveState: (@Sendable (String) -> Int32)?
    /// The engine's checker: what it remembers of past counters is saved with the machine.
    private var checker: InvariantChecker { engine.checker }
    private let traces: TraceBuffer

    /// Fresh content of a file from the latest snapshot (EACCES for write-only knobs is the
    /// FUSE layer's business: it never calls this for them).
    public func read(_ path: String) -> [UInt8] {
        guard let i = index[path] else { return [] }
        switch entries[i].source {
        case .invariants: return checkInvariants()
        case .trace: return Array(traces.trace().utf8)
        case .tracePipe: return Array(traces.pipe().utf8)
        case .saveState: return []
        case .file, .knob: break
        }
        readLock.lock()
        defer { readLock.unlock() }
        if cache[i].generation == generation { return cache[i].bytes }
        let text: String
        switch entries[i].source {
        case .file(let render): text = render(published.snapshot)
        case .knob(let k): text = k.read(published) ?? ""
        default: text = ""
        }
        cache[i] = (generation, Array(text.utf8))
        return cache[i].bytes
    }

    /// What a write(2) did: the count it returned and whether the file offset moves by it, or
    /// an errno.
    public enum WriteOutcome: Equatable, Sendable {
        case taken(Int, movesOffset: Bool)
        case refused(Int32)
    }

    /// A write at offset 0: 0 or an errno.
    public func write(_ path: String, _ data: [UInt8]) -> Int32 {
        if case .refused(let e) = write(path, data, at: 0) { return e }
        return 0
    }

    /// Validates a write at file offset `offset` synchronously as the kernel's handler does,
    /// applies it between two operations, and republishes so the next read shows it.
    public func write(_ path: String, _ data: [UInt8], at offset: Int) -> WriteOutcome {
        guard let i = index[path] else { return .refused(KnobWriteError.accessDenied.errno) }
        switch entries[i].source {
        case .knob(let k):
            let w: KnobWrite
            do { w = try k.write(data, at: offset) } catch { return .refused(error.errno) }
            guard w.setsValue else { return .taken(w.returned, movesOffset: w.movesOffset) }
            simLock.lock()
            do { try w.apply(to: machine, controls: &controls) } catch {
                simLock.unlock()
                return .refused(error.errno)
            }
            traces.configure(controls)
            // The model fires tracepoints only while something listens.
            machine.setTracer(controls.tracing ? (machine.tracer ?? Tracer()) : nil)
            publish()
            simLock.unlock()
            onPublish?()
            return .taken(w.returned, movesOffset: w.movesOffset)
        case .trace:
            traces.clear()
            return .taken(data.count, movesOffset: true)
        case .saveState:
            // One path, absolute, ended by an optional newline (as `echo` writes it).
            var text = String(decoding: data, as: UTF8.self)
            if text.hasSuffix("\n") { text.removeLast() }
            guard offset == 0, text.hasPrefix("/"), !text.contains("\n"), !text.contains("\0") else { return .refused(EINVAL) }
            guard let save = onSaveState else { return .refused(EPERM) }
            let e = save(text)
            return e == 0 ? .taken(data.count, movesOffset: true) : .refused(e)
        default:
            return .refused(KnobWriteError.accessDenied.errno)
        }
    }

    /// The check runs in a child forked under the sim lock: the child's copy-on-write image is
    /// the machine as it was at the fork, checked there at leisure, so ticks and knob writes
    /// wait for the fork (about a millisecond at 16 GiB) instead of the O(pages) scan (about
    /// 30 ms). The counters that must never go backwards are compared here, under the lock,
    /// because the checker remembers them between reads. Without a child (fork or pipe
    /// failing, or a child that does not answer within a minute) the check runs under the lock.
    private func checkInvariants() -> [UInt8] {
        var fds: [Int32] = [-1, -1]
        simLock.lock()
        do { try checker.checkMonotonic(machine, after: "the operations so far") } catch {
            simLock.unlock()
            return Array("\(error)\n".utf8)
        }
        let pid = pipe(&fds) == 0 ? fork() : -1
        if pid == 0 {
            var text = "ok\n"
            do { try checker.check(machine, after: "the operations so far", monotonic: false) } catch { text = "\(error)\n" }
            let bytes = Array(text.utf8)
            var done = 0
            while done < bytes.count {
                let n = bytes[done...].withUnsafeBytes { Glibc.write(fds[1], $0.baseAddress, $0.count) }
                if n <= 0 { break }
                done += n
            }
            _exit(0)
        }
        if fds[1] >= 0 { close(fds[1]) }
        guard pid > 0 else {
            defer { simLock.unlock() }
            if fds[0] >= 0 { close(fds[0]) }
            return lockedCheck()
        }
        simLock.unlock()
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        let answer = readChild(fds[0], pid)
        close(fds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if let answer { return answer }
        simLock.lock()
        defer { simLock.unlock() }
        return lockedCheck()
    }

    /// The whole check in this process; the caller holds the sim lock.
    private func lockedCheck() -> [UInt8] {
        do { try checker.check(machine, after: "the operations so far", monotonic: false) } catch { return Array("\(error)\n".utf8) }
        return Array("ok\n".utf8)
    }

    /// Runs `body` on the machine, its workload, its engine and the mount's switches with the
    /// simulation stopped between two operations: what a checkpoint saves. Afterwards the mount
    /// follows its switches again and republishes (a restore may have changed everything).
    public func withState<R>(_ body: (Machine, inout Workload?, Engine, inout MountControls) throws -> R) rethrows -> R {
        simLock.lock()
        defer {
            controls.workload = workload?.name ?? "none"
            traces.configure(controls)
            machine.setTracer(controls.tracing ? (machine.tracer ?? Tracer()) : nil)
            publish()
            simLock.unlock()
        }
        return try body(machine, &workload, engine, &controls)
    }

    /// The child's verdict, or nil (the child killed) if it gives none within a minute.
    private func readChild(_ fd: Int32, _ pid: pid_t) -> [UInt8]? {
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(60)
        while true {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
            let polled = poll(&ready, 1, left)
            if polled < 0 && errno == EINTR { continue }
            guard polled > 0 else {
                kill(pid, SIGKILL)
                return nil
            }
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return answer.isEmpty ? nil : answer }
            answer += buffer[..<n]
        }
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

    /// Publishes the machine's state; the caller holds the sim lock.
    private func publish() {
        var s = machine.snapshot()
        s.locks = engine.locks
        s.cpu = engine.cpuTimes
        s.bootTime = controls.bootTime
        s.tasks = LiveMachine.hostTasks()
        readLock.lock()
        published = KnobView(snapshot: s, controls: controls)
        generation &+= 1
        readLock.unlock()
    }

    /// The host's running and total tasks and last pid, from its /proc/loadavg.
    static func hostTasks() -> (running: Int, total: Int, lastPid: Int) {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return (1, 1, 0) }
        let f = text.split(whereSeparator: { $0 == " " || $0 == "/" || $0 == "\n" })
        guard f.count >= 6, let r = Int(f[3]), let t = Int(f[4]), let p = Int(f[5]) else { return (1, 1, 0) }
        return (r, t, p)
    }

    private func loop() {
        var next = Date()
        while true {
            next += LiveMachine.tick
            simLock.lock()
            let (isRunning, p) = (running, controls.pace)
            simLock.unlock()
            if !isRunning { return }
            advance(by: Int64(LiveMachine.tick * p * 1e9))
            // Under the sim lock: a snapshot taken while a knob write applies could be published
            // after that write's own publication and hide it.
            simLock.lock()
            publish()
            simLock.unlock()
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
