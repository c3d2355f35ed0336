import PCPModel
import PCPScenario

extension Card.Settings {
    static let defaultMemory = try! ByteSize(parsing: "8G")
    /// The most memory a claim gets with `--small`.
    static let smallMemory = try! ByteSize(parsing: "1G")

    /// The comparison a claim runs: each variant on the claim's machine and workload, the
    /// claim's seeds from 1. `small` caps the scale for CI (at most 4 CPUs and 1G, ops/20,
    /// one seed).
    public func plan(small: Bool, cost: CostModel) throws(UsageError) -> Compare.Plan {
        guard let workload else { throw UsageError("claim has no workload:") }
        var cpus = cpus ?? 8, memory = memory ?? Card.Settings.defaultMemory, ops = ops ?? 200_000, seeds = seeds ?? 2
        if small {
            cpus = min(cpus, 4)
            if memory.bytes > Card.Settings.smallMemory.bytes { memory = Card.Settings.smallMemory }
            ops = max(ops / 20, 5000)
            seeds = 1
        }
        var base = Scenario()
        base.machine = .x86(X86Machine(memory: memory, cpus: cpus, nodes: min(nodes ?? 1, cpus)))
        base.workload = workload
        base.params = params
        base.duration = .ops(ops)
        base.cost = cost
        let columns = variants.isEmpty ? [Card.Variant(label: "baseline", policy: .baseline)] : variants
        return Compare.Plan(variants: columns.map { v in
            var s = base
            s.policy = v.policy
            s.knobs = v.sysctls
            return Compare.Variant(label: v.label, scenario: s)
        }, seeds: (0..<seeds).map { UInt64(1 + $0) }, machineDescription: "\(cpus) CPUs, \(memory)")
    }
}
