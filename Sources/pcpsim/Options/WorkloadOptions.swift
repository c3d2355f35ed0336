import ArgumentParser
import PCPModel
import PCPScenario

/// What runs on the machine: shared by every command that drives one.
struct WorkloadOptions: ParsableArguments, ScenarioPart {
    @Option(help: "Workload, `pcpsim workloads` lists them with their parameters.")
    var workload: WorkloadName?
    @Option(name: .customLong("param"), help: "A workload parameter KEY=VALUE (repeatable; for mix:A+B, a.KEY / b.KEY).")
    var params: [String] = []
    @Option(help: "A trace replay ends this many seconds after the capture's start (default: the capture's end, with its idle tail).")
    var until: Double?
    @Option(help: "Random seed: same seed, same output (default: \(Scenario().seed)).")
    var seed: UInt64?
    @OptionGroup var cost: CostOptions

    func apply(to s: inout Scenario) throws {
        // Another workload does not take the old one's parameters.
        if let workload, workload != s.workload {
            s.workload = workload
            s.params = [:]
        }
        for p in params {
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex else { throw UsageError("--param '\(p)': expected KEY=VALUE") }
            s.params[String(p[..<eq])] = String(p[p.index(after: eq)...])
        }
        if let seed { s.seed = seed }
        if let until {
            guard until >= 0 else { throw UsageError("--until must be >= 0 seconds") }
            s.untilSeconds = until
        }
        if cost.costModel != nil { s.cost = try cost.costs() }
    }
}

/// The engine's cost model.
struct CostOptions: ParsableArguments {
    @Option(help: "Cost model file (`name = nanoseconds` lines) overriding the defaults.")
    var costModel: String?

    func costs() throws -> CostModel {
        guard let path = costModel else { return CostModel() }
        let text = try TextFile.read(path)
        do { return try CostModel.parse(text) } catch { throw UsageError("\(path): \(error.description)") }
    }
}

/// How long a run lasts, and what it records and checks on the way.
struct RunOptions: ParsableArguments, ScenarioPart {
    @Option(help: "Allocator operations to run, idle steps included (default: a trace replay to its end, any other workload \(Engine.defaultOps)).")
    var ops: Int?
    @Option(help: "Write the kmem tracepoints the simulation fires, as ftrace text, to this file.")
    var traceOut: String?
    @Flag(help: "Check every invariant after every operation (slow on big machines).")
    var check = false
    @Option(help: "With --check: check every N operations instead of every one.")
    var checkEvery: Int?

    func apply(to s: inout Scenario) throws {
        if let ops { s.duration = .ops(ops) }
        if let traceOut { s.traceOut = traceOut }
        if let n = checkEvery, n < 1 { throw UsageError("--check-every must be >= 1") }
        if check && s.checkEvery == 0 { s.checkEvery = 1 }
        if let n = checkEvery, s.checkEvery > 0 { s.checkEvery = n }
    }
}
