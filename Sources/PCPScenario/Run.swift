import PCPModel
import PCPRender

/// A finished run: the machine as the run left it, and the engine that drove it (nil when
/// the scenario's workload is `none`).
public struct ScenarioRun {
    public let scenario: Scenario
    public let machine: Machine
    public let engine: Engine?

    /// The run's metrics (`pcpsim run --json`), nil when nothing ran.
    public var metrics: RunMetrics? {
        engine?.metrics(policy: scenario.policy.rawValue, workload: scenario.workload.description, seed: scenario.seed)
    }

    /// The machine's state for the renderers, with the run's lock figures.
    public func snapshot() -> Snapshot {
        var s = machine.snapshot()
        s.locks = engine?.locks
        return s
    }
}

extension Scenario {
    /// The scenario's workload for a machine it booted (nil for `none`). With
    /// `--pcp-state-list trace`, the preset PCP pages are first spread over the order-0 lists
    /// as the replayed trace shows them.
    public func makeWorkload(for m: Machine) throws(UsageError) -> Workload? {
        if workload != .none, case .imported(let i) = machine, i.pcpState == .trace { try spreadPCPListsFromTrace(m) }
        switch workload {
        case .none:
            return nil
        case .trace(let path):
            guard params.isEmpty else { throw UsageError("a trace replay takes no --param") }
            let text = try TraceFile.read(path)
            do { return TraceReplay(records: try TraceText.records(text, cpus: m.nrCPUs)) } catch { throw UsageError("\(path): \(error.description)") }
        case .builtin, .mix:
            do { return try Workloads.make(workload.description, machine: m, params: params) } catch { throw UsageError(error.description) }
        }
    }

    /// Boots the machine and runs the workload on it.
    public func run() throws -> ScenarioRun { try run(on: boot()) }

    /// Runs the workload on a machine this scenario booted, for the duration, with tracing
    /// and checking as asked. Throws a UsageError, or an OutputError when the trace output
    /// cannot be written.
    func run(on m: Machine) throws -> ScenarioRun {
        guard var w = try makeWorkload(for: m) else { return ScenarioRun(scenario: self, machine: m, engine: nil) }
        if let n = duration.ops, n < 0 { throw UsageError("--ops must be >= 0") }
        guard checkEvery >= 0 else { throw UsageError("check_every must be >= 0 (0: no checking)") }
        let engine = Engine(machine: m, seed: seed, cost: cost, checkEvery: checkEvery)
        if let n = seriesPoints { engine.sampleEvery = sampleInterval(points: n, cpus: m.nrCPUs) }
        let trace = try traceOut.map { p throws(OutputError) in try TraceWriter(path: p, cpus: m.nrCPUs) }
        if let trace {
            m.setTracer(Tracer())
            engine.traceSink = { cpu, t, events in trace.write(cpu: cpu, timeNs: t, events) }
        }
        do {
            try engine.run(&w, opsOrToEnd: duration.ops)
            if checkEvery > 0 { try engine.check(after: "the last operation") }
            try trace?.finish()
        } catch let e as UsageError {
            throw e
        } catch let e as OutputError {
            throw e
        } catch {
            throw UsageError("\(error)")
        }
        return ScenarioRun(scenario: self, machine: m, engine: engine)
    }

    /// Each CPU's preset order-0 PCP pages spread over the lists as the replayed trace shows them.
    func spreadPCPListsFromTrace(_ m: Machine) throws(UsageError) {
        guard case .trace(let path) = workload else { throw UsageError("--pcp-state-list trace needs --workload trace:FILE") }
        let text = try TraceFile.read(path)
        let starts: [TraceText.PCPListKey: Int]
        do {
            starts = try TraceText.pcpListStart(text) { pfn in
                m.zones.first { $0.isPopulated && $0.geometry.startPFN <= pfn && pfn < $0.geometry.endPFN }.map { ($0.nid, $0.type) }
            }
        } catch { throw UsageError("\(path): \(error.description)") }
        for z in m.populatedZones {
            for c in 0..<m.nrCPUs {
                let lengths = (0..<MigrateType.pcpTypes).map { starts[TraceText.PCPListKey(cpu: c, nid: z.nid, zone: z.type, mt: $0)] }
                m.redistributePCP(nid: z.nid, zone: z.type, cpu: c, lengths: lengths)
            }
        }
    }

    /// Picoseconds between two samples for about `points` of them over the run's expected
    /// virtual time.
    func sampleInterval(points: Int, cpus: Int) -> Int64 {
        let expected = Double(duration.ops ?? Engine.defaultOps) / Double(max(cpus, 1)) * cost.operationNs * 1000
        return max(1_000_000, Int64(min(expected / Double(max(points, 1)), 1e18)))
    }
}
