import Foundation
import PCPModel
import PCPScenario

/// Joins a plan's per-run metrics into its comparisons: the same results whether the runs were
/// made in this process or by `pcpsim run` under a cluster's scheduler.
public enum Merge {
    /// One comparison's result from the metrics of its runs.
    public static func result(_ c: RunPlan.Comparison, _ metrics: [String: RunMetrics]) -> CompareResult {
        let runs = c.columns.map { col in (policy: col.label, runs: col.runs.compactMap { metrics[$0] }) }
        let ops = runs.flatMap(\.runs).map(\.ops).max() ?? 0
        return CompareResult(workload: c.workload, machine: c.machine, seeds: c.seeds, ops: ops, runs: runs)
    }

    /// A compare plan's result: one comparison, or with a sweep one per swept value.
    public static func compareResult(_ plan: RunPlan, _ metrics: [String: RunMetrics]) -> CompareResult {
        let results = plan.comparisons.map { result($0, metrics) }
        guard let parameter = plan.sweepParameter else { return results[0] }
        var r = results[0]
        let points = zip(plan.comparisons, results).map { CompareResult.SweepPoint(value: $0.sweepValue ?? "", result: $1) }
        if ["cpus", "memory", "nodes"].contains(parameter) {
            r.machine = points.map { "\(parameter)=\($0.value): \($0.result.machine)" }.joined(separator: "; ")
        }
        r.sweepParameter = parameter
        r.sweep = points
        return r
    }

    /// The metrics `pcpsim run --json` wrote into `dir`/runs, and the plan's runs that have none
    /// (not run or failed) or whose file is not a run's metrics.
    public static func load(_ plan: RunPlan, dir: String) -> (metrics: [String: RunMetrics], missing: [String], broken: [String]) {
        var metrics: [String: RunMetrics] = [:]
        var missing: [String] = [], broken: [String] = []
        for r in plan.runs {
            guard let data = FileManager.default.contents(atPath: dir + "/runs/" + r.name + ".json") else { missing.append(r.name); continue }
            guard let m = try? JSONDecoder().decode(RunMetrics.self, from: data) else { broken.append(r.name); continue }
            metrics[r.name] = m
        }
        return (metrics, missing, broken)
    }
}
