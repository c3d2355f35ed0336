/// Runs a workload on N simulated CPUs, one thread, in virtual-time order.
///
/// Each CPU has its own clock. The CPU furthest behind runs the next operation on the model;
/// the lock sections that operation goes through are priced with the cost model as they
/// happen: an acquisition waits (spinning) until the lock is free, a lock last held on another
/// CPU costs a cache-line bounce, and the work inside a section adds to the hold time.
/// pcp_spin_trylock sees the locks as busy when their holder's section extends past the
/// operation's start. The result depends only on the seed, the machine, the workload and the
/// cost model.
public final class Engine {
    public let machine: Machine
    public let cost: CostModel
    @exclusivity(unchecked) public var checkEvery: Int
    @exclusivity(unchecked) var rng: SplitMix64
    /// `--check`'s checker; a mount's `invariants` file checks with it too (its memory of past
    /// counters is saved with the engine).
    public let checker = InvariantChecker()
    /// Virtual time when the engine started (the machine's time then).
    @exclusivity(unchecked) var start: Picoseconds
    /// Operations run so far (idle steps included).
    @exclusivity(unchecked) public internal(set) var operations = 0

    let scheduler: Scheduler
    let pricer: LockPricer
    let trace: LockTrace
    let sampler: Sampler
    let accounting: CPUAccounting
    /// Receives the tracepoints each operation fired: CPU, time (ns), events.
    @exclusivity(unchecked) public var traceSink: ((Int, Int64, [TraceEvent]) -> Void)?

    public enum Failure: Error, CustomStringConvertible {
        case invariant(InvariantViolation)
        case free(FreeError)
        public var description: String {
            switch self {
            case .invariant(let v): v.description
            case .free(let f): f.description
            }
        }
    }

    public init(machine m: Machine, seed: UInt64, cost: CostModel = CostModel(), checkEvery: Int = 0) {
        machine = m
        self.cost = cost
        self.checkEvery = checkEvery
        rng = SplitMix64(seed: seed)
        start = Picoseconds(ns: m.now)
        scheduler = Scheduler(cpus: m.nrCPUs, start: start)
        pricer = LockPricer(machine: m, cost: cost)
        trace = LockTrace(pricer: pricer)
        sampler = Sampler(cpus: m.nrCPUs, start: start)
        accounting = CPUAccounting(cpus: m.nrCPUs, start: start)
        m.record(into: trace)
        m.vmstatObserver = { [unowned self] cpu in
            assert(!self.trace.armed, "the vmstat observer inside an operation")
            let from = max(self.scheduler[cpu], Picoseconds(ns: self.machine.now))
            let t = self.pricer.price(self.trace, cpu: cpu, from: from)
            self.accounting.addSystem(cpu, t - from)
            self.scheduler.set(cpu, to: t)
            if let sink = self.traceSink, let tr = self.machine.tracer { tr.drain { sink(cpu, self.machine.now, $0) } }
        }
    }

    deinit {
        machine.record(into: nil)
        machine.vmstatObserver = nil
    }

    /// The machine's time when the engine started, in nanoseconds.
    public var startNs: Int64 { start.ns }
    /// Virtual time of the machine in nanoseconds: the CPU furthest behind.
    public var nowNs: Int64 { scheduler.now.ns }
    /// Virtual seconds from the start until the last CPU finished its last operation.
    public var simSeconds: Double { (scheduler.latest - start).seconds }

    /// Runs up to `ops` operations (idle steps included) of the workload, stopping early once
    /// the slowest CPU reaches `untilNs` or the workload is finished. Returns the operations run.
    /// Can be called again to continue.
    ///
    /// Specialised for the workloads the README's figures and the patch cards run: a run
    /// reaches the loop with its workload's type opened from an existential, so without these
    /// each operation calls step, finished and actingCPU through the witness table, and the
    /// last two, a load each, cannot inline (44 instructions an operation of the random
    /// workload, 42 of jemalloc-purge's).
    @discardableResult
    @_specialize(where W == RandomMix)
    @_specialize(where W == JemallocPurge)
    @_specialize(where W == ExitAvalanche)
    @_specialize(where W == KernelBuild)
    @_specialize(where W == OneAllocator)
    @_specialize(where W == ContigAttempts)
    @_specialize(where W == Fragmenter)
    @_specialize(where W == FaultLoop)
    @_specialize(where W == Stream)
    @_specialize(where W == TraceReplay)
    public func run<W: Workload>(_ w: inout W, ops: Int, untilNs: Int64 = .max) throws(Failure) -> Int {
        // CPUs behind the machine's clock (time passed without work) were idle until now.
        scheduler.catchUp(to: Picoseconds(ns: machine.now))
        checker.logTouches(machine, checkEvery == 1)
        var done = 0
        // The machine's time in ns, kept from the end of one operation to the start of the
        // next, so that it is divided out once an operation rather than three times.
        var nowNs = scheduler.now.ns
        // A trace replay's step may act on another CPU, or wait: its sections are recorded
        // and priced once the step says on which CPU, if any.
        let asPriced = w.actsOnAskedCPU
        while done < ops && nowNs < untilNs && !w.finished {
            done += 1
            operations += 1
            let n = operations
            let c = scheduler.next
            trace.reset()
            if asPriced { trace.begin(cpu: c, at: scheduler[c]) } else { trace.opStart = scheduler[w.actingCPU(asked: c) ?? c] }
            let op: Operation
            var kswapdTurn = false
            // CPU c is the one furthest behind: its clock is the machine's time.
            if let scanned = machine.kswapdStep(cpu: c, at: nowNs) {
                kswapdTurn = true
                // kswapd takes its CPU's turn: its lock sections are priced like any other, and
                // its scanning costs a list operation per page.
                op = .busy(c, ns: Int64(Double(scanned) * cost.listOpNs))
            } else {
                do { op = try w.step(machine, cpu: c, &rng) } catch {
                    if asPriced { _ = trace.end() }
                    throw .free(error)
                }
            }
            if machine.reclaim.oomPending {
                machine.reclaim.oomPending = false
                do { if try w.oomKill(machine, cpu: op.cpu) { machine.countOOMKill() } } catch {
                    if asPriced { _ = trace.end() }
                    throw .free(error)
                }
            }
            assert(!asPriced || (op.cpu == c && op.kind != .wait), "\(w.name) acts on CPU \(c) only: \(op)")
            let pricedAsRun = asPriced ? trace.end() : .zero
            sampler.count(op)
            if op.kind == .wait {
                // Never past `untilNs`: the workload asks again for the rest of the wait, so
                // that a paced run (the mount) waits the gap out in real time.
                let until = start + Picoseconds(ns: op.waitUntilNs)
                scheduler.catchUp(to: untilNs < Int64.max / 2_000 ? min(until, Picoseconds(ns: untilNs)) : until)
            } else {
                let pc = op.cpu
                let priced = asPriced ? pricedAsRun : pricer.price(trace, cpu: pc, from: scheduler[pc])
                if pricer.memstall > .zero { machine.psiAccrue(ns: pricer.memstall.ns) }
                if let sink = traceSink, let tr = machine.tracer { tr.drain { sink(pc, priced.ns, $0) } }
                let step = op.kind != .idle || pc == c ? pricer.costs.op : .zero
                let extra = op.kind == .busy || op.kind == .user || op.kind == .io || op.kind == .sleep ? Picoseconds(ns: op.waitUntilNs) : .zero
                let t = priced + step + extra
                if kswapdTurn { machine.psiAccrueKswapd(ns: (t - scheduler[pc]).ns) }
                // The allocator's priced paths are system time; the rest of the step is the
                // kernel thread's (busy), the workload's (user), a task's in D state (io), or
                // nobody's (sleep, idle).
                switch op.kind {
                case .busy: accounting.addSystem(pc, t - scheduler[pc])
                case .io:
                    accounting.addSystem(pc, priced - scheduler[pc])
                    accounting.addIowait(pc, step + extra)
                case .sleep, .idle: accounting.addSystem(pc, priced - scheduler[pc])
                case .user:
                    accounting.addSystem(pc, priced - scheduler[pc])
                    accounting.addUser(pc, step + extra)
                default:
                    accounting.addSystem(pc, priced - scheduler[pc])
                    accounting.addUser(pc, step)
                }
                scheduler.set(pc, to: t)
            }
            sampler.sample(machine, operation: n, at: scheduler.now, locks: pricer)
            // vmstat_update runs for every CPU once the slowest CPU passes an interval boundary.
            let before = scheduler.now
            nowNs = before.ns
            machine.advanceTime(to: max(machine.now, nowNs))
            // A vmstat_update round prices its work on every CPU and so may move the clocks.
            if scheduler.now != before { nowNs = scheduler.now.ns }
            accounting.sampleLoad(now: scheduler.now)
            if checkEvery > 0 {
                do {
                    if checkEvery == 1 {
                        try checker.checkOperation(machine) { "operation \(n) (\(op))" }
                    } else if n % checkEvery == 0 {
                        try checker.check(machine, after: "operation \(n) (\(op))")
                    }
                } catch { throw .invariant(error) }
            }
        }
        return done
    }

    /// A full invariant check now.
    public func check(after what: String) throws(InvariantViolation) { try checker.check(machine, after: what) }

    public var zoneLock: LockStats { pricer.zone }
    public var pcpLock: LockStats { pricer.pcp }
    public var perCPUZoneLock: [LockStats] { pricer.perCPUZone.elements }
    public var perCPUPCPLock: [LockStats] { pricer.perCPUPCP.elements }
    public var mergesUnderZoneLock: Int { pricer.mergesUnderZoneLock }
    public var mergesUnderPCPLock: Int { pricer.mergesUnderPCPLock }
    public var locks: EngineLocks {
        EngineLocks(zone: zoneLock, pcp: pcpLock, perCPUZone: perCPUZoneLock, perCPUPCP: perCPUPCPLock)
    }

    public var perCPUOps: [OpCounts] { sampler.ops.elements }
    /// Each CPU's user, system and idle time and the load averages, up to the machine's clock.
    public var cpuTimes: CPUTimes {
        accounting.sampleLoad(now: max(scheduler.now, Picoseconds(ns: machine.now)))
        return accounting.times(elapsed: max(scheduler.now, Picoseconds(ns: machine.now)) - start)
    }
    public var totals: OpCounts { sampler.totals }
    public var samples: [Sample] { sampler.samples }
    /// Sample the time series every this many picoseconds of virtual time.
    public var sampleEvery: Int64 {
        get { sampler.every.value }
        set { sampler.every = Picoseconds(newValue) }
    }
    public var pcpPagesPeak: Int { sampler.pcpPagesPeak }
    /// Mean pages held on PCPs over the run's virtual time.
    public var pcpPagesMean: Double { sampler.pcpPagesMean(machine) }
}

extension Engine {
    /// Operations a run makes when none are asked for.
    public static let defaultOps = 100_000

    /// Runs `ops` operations, or with nil a trace replay to the end of its trace and any other
    /// workload `defaultOps`. Returns the operations run.
    @discardableResult
    public func run<W: Workload>(_ w: inout W, opsOrToEnd ops: Int?) throws(Failure) -> Int {
        guard ops == nil, w is TraceReplay else { return try run(&w, ops: ops ?? Engine.defaultOps) }
        var total = 0
        while !w.finished, case let n = try run(&w, ops: 1_000_000), n > 0 { total += n }
        return total
    }
}
