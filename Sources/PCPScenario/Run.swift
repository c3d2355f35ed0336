import PCPModel
import PCPRender

/// A finished run: the machine as the run left it, and the engine that drove it (nil when
/// the scenario's workload is `none`).
public struct ScenarioRun {
    public let scenario: Scenario
    public let machine: Machine
    public let engine: Engine?
    /// The counters when the warm-up ended, if the metrics leave it out.
    public var warmup: WarmupBase? = nil
    /// The workload where the run left it (nil for `none`): with the machine and the engine,
    /// what `--save-state` saves.
    public var workload: Workload?

    /// The run's state file: continued with `--from-state`, it goes on as this run would have.
    public func savedState() throws(UsageError) -> [UInt8] {
        var w = workload
        var s = scenario
        s.policy = machine.policy
        return try MachineState.save(scenario: s, machine: machine, workload: &w, engine: engine)
    }

    /// The run's metrics (`pcpsim run --json`), nil when nothing ran.
    public var metrics: RunMetrics? {
        let (p, w, s) = (scenario.policy.rawValue, scenario.workload.description, scenario.seed)
        if let warmup { return engine?.metrics(policy: p, workload: w, seed: s, since: warmup) }
        return engine?.metrics(policy: p, workload: w, seed: s)
    }

    /// The machine's state for the renderers, with the run's lock figures.
    public func snapshot() -> Snapshot {
        var s = machine.snapshot()
        s.locks = engine?.locks
        s.cpu = engine?.cpuTimes
        return s
    }
}

extension Scenario {
    /// The scenario's workload for a machine it booted (nil for `none`). With
    /// `--pcp-state-list trace`, the preset PCP pages are first spread over the order-0 lists
    /// as the replayed trace shows them.
    public func makeWorkload(for m: Machine, note: (String) -> Void = Scenario.printNote) throws(UsageError) -> Workload? {
        var unnamed: (lists: [[Int]], pages: [[Int]]) = ([], [])
        if workload != .none, case .imported(let i) = machine, i.pcpState == .trace { unnamed = try spreadPCPListsFromTrace(m, note: note) }
        var w = try makeWorkloadOnly(for: m, note: note)
        if var r = w as? TraceReplay {
            r.unnamedLists = unnamed.lists
            r.unnamedPages = unnamed.pages
            w = r
        }
        if let r = w as? TraceReplay, let t = r.tickAtNs {
            note(String(format: "the trace has no vmstat_update events: ticks every stat_interval in the phase of its first drain no free explains (decay's, at %.6f s)", Double(t) / 1e9))
        }
        return w
    }

    /// The workload alone, without what an import's `--pcp-state-list trace` does to the
    /// machine first (a restored machine has that in its state already). A trace's inferred
    /// allocations get a note each kind (the guesses a replay makes beyond the trace).
    func makeWorkloadOnly(for m: Machine, note: (String) -> Void = { _ in }) throws(UsageError) -> Workload? {
        switch workload {
        case .none:
            return nil
        case .trace(let path):
            guard params.isEmpty else { throw UsageError("a trace replay takes no --param") }
            let text = try TraceFile.read(path)
            // Without capture.txt, a capture that shows a drain traced them.
            let drainsEnabled = try ReplayCheck.eventEnabled("mm_page_pcpu_drain", beside: path)
            do {
                let c = try TraceText.capture(text, cpus: m.nrCPUs, untilNs: untilSeconds.map { Int64($0 * 1e9) })
                if c.refilledTakenUntraced > 0 {
                    note("\(c.refilledTakenUntraced) allocations inferred of pages a refill put on a PCP list and no traced event took off, "
                         + "freed or still unseen when that list refilled again (alloc_pages_bulk() traces no mm_page_alloc): replayed then, on that list")
                }
                if c.freedTakenUntraced > 0 {
                    note("\(c.freedTakenUntraced) allocations inferred of order-0 pages of UNMOVABLE pageblocks freed twice with no event between "
                         + "(alloc_pages_bulk() took them off the first free's CPU's list untraced): replayed on that CPU before its list next refilled, else before the second free")
                }
                // A phase given on the command line wins over the one the trace implies.
                return TraceReplay(records: c.records, endNs: c.endNs, tickAtNs: vmstatPhaseMs == nil ? c.decayDrainNs : nil,
                                   drainsTraced: drainsEnabled ?? c.records.contains { !$0.drains.isEmpty })
            } catch { throw UsageError("\(path): \(error.description)") }
        case .builtin, .mix:
            do { return try Workloads.make(workload.description, machine: m, params: params) } catch { throw UsageError(error.description) }
        }
    }

    /// Boots the machine and runs the workload on it.
    public func run() throws -> ScenarioRun { try run(on: boot()) }

    /// Runs the workload on a machine this scenario booted (`boot()`, `bootKeepingState()`),
    /// for the duration, with tracing and checking as asked. Throws a UsageError, or an
    /// OutputError when the trace output cannot be written.
    public func run(on m: Machine) throws -> ScenarioRun {
        guard let w = try makeWorkload(for: m) else { return ScenarioRun(scenario: self, machine: m, engine: nil) }
        return try run(on: m, workload: w, resuming: nil)
    }

    /// Runs `w` on `m`; `resuming` puts the saved engine's clocks, counts and random stream in
    /// the engine before the first operation.
    func run(on m: Machine, workload: Workload, resuming: MachineState?) throws -> ScenarioRun {
        var w = workload
        if let n = duration.ops, n < 0 { throw UsageError("--ops must be >= 0") }
        guard checkEvery >= 0 else { throw UsageError("check_every must be >= 0 (0: no checking)") }
        let engine = Engine(machine: m, seed: seed, cost: cost, checkEvery: checkEvery)
        if let n = seriesPoints { engine.sampleEvery = sampleInterval(points: n, cpus: m.nrCPUs) }
        if let resuming {
            try resuming.restore(engine)
            try resuming.finish()
        }
        let trace = try traceOut.map { p throws(OutputError) in try TraceWriter(path: p, cpus: m.nrCPUs) }
        if let trace {
            m.setTracer(Tracer())
            engine.traceSink = { cpu, t, events in trace.write(cpu: cpu, timeNs: t, events) }
        }
        var base: WarmupBase?
        do {
            if case .seconds(let t) = duration {
                // Only a run of known length can promise every variant of a comparison the same
                // steady part: at least two stat intervals of simulated time.
                let end = engine.nowNs + Int64(t * 1e9), warm = engine.warmupNs
                if excludeWarmup && !self.workload.isTrace && warm > 0 && t * 1e9 >= 2 * Double(warm) {
                    try engine.run(&w, ops: .max, untilNs: engine.startNs + warm)
                    base = engine.warmupBase(policy: policy.rawValue, workload: self.workload.description, seed: seed)
                }
                try engine.run(&w, ops: .max, untilNs: end)
            } else {
                try engine.run(&w, opsOrToEnd: duration.ops)
            }
            // A workload that ended has no steady state: its figures cover the whole run.
            if w.finished { base = nil }
            if checkEvery > 0 { try engine.check(after: "the last operation") }
            try trace?.finish()
        } catch let e as UsageError {
            throw e
        } catch let e as OutputError {
            throw e
        } catch {
            throw UsageError("\(error)")
        }
        return ScenarioRun(scenario: self, machine: m, engine: engine, warmup: base, workload: w)
    }

    /// Each CPU's preset order-0 PCP pages spread over the lists as the replayed trace shows them.
    /// Returns, per CPU and zone id, the list that took the pages no traced event names (-1: none)
    /// and how many they were.
    func spreadPCPListsFromTrace(_ m: Machine, note: (String) -> Void) throws(UsageError) -> (lists: [[Int]], pages: [[Int]]) {
        guard case .trace(let path) = workload else { throw UsageError("--pcp-state-list trace needs --workload trace:FILE") }
        let text = try TraceFile.read(path)
        let evidence: TraceText.PCPEvidence
        do {
            evidence = try TraceText.pcpListEvidence(text) { pfn in
                m.zoneSpanning(pfn: pfn).map { ($0.nid, $0.type) }
            }
        } catch { throw UsageError("\(path): \(error.description)") }
        let starts = evidence.lengths, refilled = evidence.refilled
        var unnamed = [[Int]](repeating: [Int](repeating: -1, count: m.zones.count), count: m.nrCPUs)
        var unnamedPages = [[Int]](repeating: [Int](repeating: 0, count: m.zones.count), count: m.nrCPUs)
        for z in m.populatedZones {
            for c in 0..<m.nrCPUs {
                if let n = evidence.firstRefill[TraceText.PCPListKey(cpu: c, nid: z.nid, zone: z.type, mt: 0)],
                   let k = m.presetAllocFactor(nid: z.nid, zone: z.type, cpu: c, firstRefill: n), k > 0 {
                    note("cpu \(c) zone \(z.type.name): alloc_factor \(k) when the capture began, from its first order-0 refill of \(n) pages")
                }
                let keys = (0..<MigrateType.pcpTypes).map { TraceText.PCPListKey(cpu: c, nid: z.nid, zone: z.type, mt: $0) }
                let higher = starts.filter { $0.key.cpu == c && $0.key.nid == z.nid && $0.key.zone == z.type && $0.key.order > 0 && $0.value > 0 }
                    .sorted { ($0.key.order, $0.key.mt) < ($1.key.order, $1.key.mt) }
                    .map { (order: $0.key.order, mt: $0.key.mt, entries: $0.value) }
                let (rest, list, short) = m.redistributePCP(nid: z.nid, zone: z.type, cpu: c, lengths: keys.map { starts[$0] },
                                                            exact: keys.map { refilled.contains($0) }, higher: higher)
                let name = MigrateType(rawValue: list).map { $0.procName } ?? "\(list)"
                if rest > 0 {
                    unnamed[c][z.id] = list
                    unnamedPages[c][z.id] = rest
                    let why = list < keys.count && starts[keys[list]] != nil ? "a list the trace used but never refilled, so only its least length is known" : "a list the trace never touches"
                    note("cpu \(c) zone \(z.type.name): \(rest) pages of zoneinfo's count are on no list the trace shows; they start on the \(name) order-0 list (\(why))")
                }
                if short > 0 {
                    note("cpu \(c) zone \(z.type.name): zoneinfo's count (or the free memory) leaves \(short) pages of the trace's higher-order PCP entries out")
                }
            }
        }
        return (unnamed, unnamedPages)
    }

    /// Picoseconds between two samples for about `points` of them over the run's expected
    /// virtual time.
    func sampleInterval(points: Int, cpus: Int) -> Int64 {
        if case .seconds(let t) = duration { return max(1_000_000, Int64(t * 1e12 / Double(max(points, 1)))) }
        let expected = Double(duration.ops ?? Engine.defaultOps) / Double(max(cpus, 1)) * cost.operationNs * 1000
        return max(1_000_000, Int64(min(expected / Double(max(points, 1)), 1e18)))
    }
}
