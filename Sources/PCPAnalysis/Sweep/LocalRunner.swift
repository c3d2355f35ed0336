import Foundation
import PCPModel
import PCPScenario

/// Runs a plan's runs on this machine's cores: `jobs` threads take the next group of runs in
/// plan order. Each run has a machine of its own, so the metrics do not depend on the order or
/// the thread. Runs that boot the same aged machine (`Scenario.agedBootKey`) are one group: its
/// first run ages the machine and keeps its state, the others restore that state (aging is
/// most of an analysis with `--sensitivity`).
public enum LocalRunner {
    /// Metrics by run name. `progress(done, total)` is called after each run, from any thread.
    public static func run(_ plan: RunPlan, jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
                           progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws(UsageError) -> [String: RunMetrics] {
        let runs = plan.runs, scenarios = runs.map(\.scenario)
        let groups = RunPlan.bootGroups(scenarios)
        let box = Results(count: runs.count, groups: groups.count)
        let threads = max(1, min(jobs, groups.count))
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            while let g = box.next() {
                runGroup(scenarios, groups[g]) { i, outcome in progress(box.finish(i, outcome), runs.count) }
            }
        }
        var out: [String: RunMetrics] = [:]
        for (i, r) in box.results.enumerated() {
            switch r {
            case .success(let m): out[runs[i].name] = m
            case .failure(let e): throw UsageError("run \(runs[i].name): \(e.description)")
            case nil: break
            }
        }
        return out
    }

    /// Runs one boot group (`RunPlan.bootGroups`), one run after the other: alone, a run boots its
    /// own machine; in a group of several, the first ages the machine and keeps its state and the
    /// others restore it.
    public static func runGroup(_ scenarios: [Scenario], _ group: [Int], _ done: (Int, Result<RunMetrics, UsageError>) -> Void) {
        var kept: BootedState?
        for i in group {
            let s = scenarios[i]
            let outcome: Result<RunMetrics, UsageError>
            do {
                let r: ScenarioRun
                if group.count == 1 {
                    r = try s.run()
                } else if let kept {
                    r = try s.run(from: kept)
                } else {
                    let (m, state) = try s.bootKeepingState()
                    kept = state
                    r = try s.run(on: m)
                }
                if let m = r.metrics { outcome = .success(m) } else { outcome = .failure(UsageError("a comparison needs a workload")) }
            } catch let e as UsageError { outcome = .failure(e) } catch { outcome = .failure(UsageError("\(error)")) }
            done(i, outcome)
        }
    }

    /// The shared state of the worker threads, behind a lock.
    final class Results: @unchecked Sendable {
        let lock = NSLock()
        /// The next group to take, of `groups`.
        var cursor = 0
        let groups: Int
        var done = 0
        var results: [Result<RunMetrics, UsageError>?]
        init(count: Int, groups: Int) {
            results = Array(repeating: nil, count: count)
            self.groups = groups
        }

        func next() -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard cursor < groups else { return nil }
            // After a failure the rest is not worth running.
            if results.contains(where: { if case .failure = $0 { true } else { false } }) { return nil }
            cursor += 1
            return cursor - 1
        }

        func finish(_ i: Int, _ r: Result<RunMetrics, UsageError>) -> Int {
            lock.lock(); defer { lock.unlock() }
            results[i] = r
            done += 1
            return done
        }
    }
}
