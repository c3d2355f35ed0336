import PCPModel
import PCPScenario

extension Card.Settings {
    static let defaultMemory = try! ByteSize(parsing: "8G")
    /// The most memory a claim gets with `--small`.
    static let smallMemory = try! ByteSize(parsing: "1G")

    /// Seeds a claim runs on unless it or the command says otherwise: enough for a 95% interval
    /// that a single odd seed cannot drag across a threshold.
    public static let defaultSeeds = 5

    /// Seeds per sensitivity condition unless `--sensitivity-seeds` says otherwise: a condition
    /// answers "does the verdict survive here", and 3 seeds still give a t interval (wider, so
    /// more cells say INCONCLUSIVE rather than flip), at three fifths of the runs.
    public static let defaultConditionSeeds = 3

    /// Seeds the claim runs on: `override` (the command's), else the claim's, else 5.
    public func seedCount(_ override: Int?) -> Int { override ?? seeds ?? Card.Settings.defaultSeeds }

    /// The comparison a claim runs: each variant on the claim's machine and workload, over
    /// `seedCount` seeds (default: the claim's, else 5) from `firstSeed`. `small` caps the scale
    /// for CI (at most 4 CPUs and 1G, ops/20 or duration/20). A claim with `duration:` runs that
    /// many simulated seconds instead of its operations.
    public func plan(small: Bool, cost: CostModel, firstSeed: UInt64 = 1, seedCount: Int? = nil) throws(UsageError) -> Compare.Plan {
        guard let workload else { throw UsageError("claim has no workload:") }
        var cpus = cpus ?? 8, memory = memory ?? Card.Settings.defaultMemory, ops = ops ?? 200_000
        let seeds = self.seedCount(seedCount)
        if small {
            cpus = min(cpus, 4)
            if memory.bytes > Card.Settings.smallMemory.bytes { memory = Card.Settings.smallMemory }
            ops = max(ops / 20, 5000)
        }
        var base = Scenario()
        base.machine = .x86(X86Machine(memory: memory, cpus: cpus, nodes: min(nodes ?? 1, cpus)))
        base.workload = workload
        base.params = params
        base.duration = duration.map { .seconds(small ? $0 / 20 : $0) } ?? .ops(ops)
        base.cost = cost
        base.excludeWarmup = true
        base.age = age
        let columns = variants.isEmpty ? [Card.Variant(label: "baseline", policy: .baseline)] : variants
        return Compare.Plan(variants: columns.map { v in
            var s = base
            s.policy = v.policy
            s.knobs = v.sysctls
            return Compare.Variant(label: v.label, scenario: s)
        }, seeds: (0..<seeds).map { firstSeed &+ UInt64($0) }, machineDescription: "\(cpus) CPUs, \(memory)" + (age.map { ", aged \(Int($0)) s" } ?? ""))
    }
}
