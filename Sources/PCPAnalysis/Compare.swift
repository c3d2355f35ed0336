import PCPModel
import PCPScenario

/// Runs several scenarios (a policy each, typically) over several seeds.
public enum Compare {
    /// One column of a comparison: a label and the scenario its runs start from (a policy,
    /// optionally with boot knobs, e.g. the baseline with percpu_pagelist_high_fraction set).
    public struct Variant: Sendable {
        public var label: String
        public var scenario: Scenario
        public init(label: String, scenario: Scenario) { self.label = label; self.scenario = scenario }
    }

    /// Every variant runs once per seed, each run on a freshly booted machine.
    public struct Plan: Sendable {
        public var variants: [Variant]
        public var seeds: [UInt64]
        /// The machine in words, for the report.
        public var machineDescription: String
        public init(variants: [Variant], seeds: [UInt64], machineDescription: String) {
            self.variants = variants; self.seeds = seeds; self.machineDescription = machineDescription
        }
    }

    /// Time-series samples per run, unless the scenario asks for another number.
    public static let seriesPoints = 100

    /// Runs the plan. `progress(done, total)` is called after each run.
    public static func run(_ plan: Plan, progress: (Int, Int) -> Void = { _, _ in }) throws -> CompareResult {
        var runs: [(policy: String, runs: [RunMetrics])] = []
        let total = plan.variants.count * plan.seeds.count
        var done = 0
        for v in plan.variants {
            var rs: [RunMetrics] = []
            for seed in plan.seeds {
                var s = v.scenario
                s.seed = seed
                s.seriesPoints = s.seriesPoints ?? seriesPoints
                guard let metrics = try s.run().metrics else { throw UsageError("a comparison needs a workload") }
                rs.append(metrics)
                done += 1
                progress(done, total)
            }
            runs.append((v.label, rs))
        }
        // The operations the runs made (a whole replay when no count was asked for).
        let ops = runs.flatMap(\.runs).map(\.ops).max() ?? 0
        return CompareResult(workload: plan.variants.first?.scenario.workload.description ?? "none", machine: plan.machineDescription,
                             seeds: plan.seeds, ops: ops, runs: runs)
    }
}
