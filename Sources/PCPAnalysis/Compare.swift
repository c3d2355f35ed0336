import Foundation
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

    /// Runs the plan on local cores (`jobs` at once) through the same `RunPlan` and `Merge` a
    /// cluster sweep uses. `progress(done, total)` is called after each run.
    public static func run(_ plan: Plan, jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
                           progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws(UsageError) -> CompareResult {
        var p = RunPlan(kind: .compare)
        p.add(plan, prefix: "")
        return Merge.result(p.comparisons[0], try LocalRunner.run(p, jobs: jobs, progress: progress))
    }
}
