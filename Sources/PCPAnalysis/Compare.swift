import PCPModel

/// Runs several policies on the same machine and workload over several seeds.
public enum Compare {
    /// One column of a comparison: a policy, optionally with boot knobs (e.g. the baseline
    /// with percpu_pagelist_high_fraction set, to turn high auto-tuning off).
    public struct Variant: Sendable {
        public var label: String
        public var policy: Policy
        /// sysctl NAME=VALUE pairs, applied at boot by the caller's machine closure.
        public var sysctls: [(String, String)]
        public init(label: String, policy: Policy, sysctls: [(String, String)] = []) {
            self.label = label; self.policy = policy; self.sysctls = sysctls
        }
    }

    /// Everything a comparison needs; `machine` boots a fresh machine for each run.
    public struct Plan {
        public var variants: [Variant]
        /// The workload's name, and how to make it for a freshly booted machine.
        public var workload: String
        public var makeWorkload: (Machine) throws -> Workload
        public var seeds: [UInt64]
        /// Operations per run; nil: a trace replay to its end, other workloads Engine.defaultOps.
        public var ops: Int?
        public var cost: CostModel
        public var machineDescription: String
        public var machine: (Variant) throws -> Machine
        public init(variants: [Variant], workload: String, makeWorkload: @escaping (Machine) throws -> Workload, seeds: [UInt64],
                    ops: Int?, cost: CostModel, machineDescription: String, machine: @escaping (Variant) throws -> Machine) {
            self.variants = variants; self.workload = workload; self.makeWorkload = makeWorkload; self.seeds = seeds
            self.ops = ops; self.cost = cost; self.machineDescription = machineDescription; self.machine = machine
        }
    }

    /// Runs the plan. `progress(done, total)` is called after each run.
    public static func run(_ plan: Plan, progress: (Int, Int) -> Void = { _, _ in }) throws -> CompareResult {
        var runs: [(policy: String, runs: [RunMetrics])] = []
        let total = plan.variants.count * plan.seeds.count
        var done = 0
        for v in plan.variants {
            let p = v.policy
            var rs: [RunMetrics] = []
            for seed in plan.seeds {
                let m = try plan.machine(v)
                m.setPolicy(p)
                var w = try plan.makeWorkload(m)
                let e = Engine(machine: m, seed: seed, cost: plan.cost)
                e.sampleEvery = sampleInterval(ops: plan.ops ?? Engine.defaultOps,
                                               cpus: m.nrCPUs, cost: plan.cost)
                try e.run(&w, opsOrToEnd: plan.ops)
                rs.append(e.metrics(policy: p.rawValue, workload: plan.workload, seed: seed))
                done += 1
                progress(done, total)
            }
            runs.append((v.label, rs))
        }
        // The operations the runs made (a whole replay when no count was asked for).
        let ops = runs.flatMap(\.runs).map(\.ops).max() ?? 0
        return CompareResult(workload: plan.workload, machine: plan.machineDescription, seeds: plan.seeds,
                             ops: ops, runs: runs)
    }

    /// About 100 samples over the run's expected virtual time (picoseconds).
    static func sampleInterval(ops: Int, cpus: Int, cost: CostModel) -> Int64 {
        let expected = Double(ops) / Double(max(cpus, 1)) * cost.operationNs * 1000
        return max(1_000_000, Int64(expected / 100))
    }
}
