import Foundation
import PCPModel
import PCPScenario

/// Runs a plan's runs on this machine's cores: `jobs` threads take the next run in plan order.
/// Each run boots its own machine, so the metrics do not depend on the order or the thread.
public enum LocalRunner {
    /// Metrics by run name. `progress(done, total)` is called after each run, from any thread.
    public static func run(_ plan: RunPlan, jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
                           progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws(UsageError) -> [String: RunMetrics] {
        let box = Results(count: plan.runs.count)
        let runs = plan.runs
        let threads = max(1, min(jobs, runs.count))
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            while let i = box.next() {
                let outcome: Result<RunMetrics, UsageError>
                do {
                    if let m = try runs[i].scenario.run().metrics { outcome = .success(m) } else { outcome = .failure(UsageError("a comparison needs a workload")) }
                } catch let e as UsageError { outcome = .failure(e) } catch { outcome = .failure(UsageError("\(error)")) }
                progress(box.finish(i, outcome), runs.count)
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

    /// The shared state of the worker threads, behind a lock.
    final class Results: @unchecked Sendable {
        let lock = NSLock()
        var cursor = 0
        var done = 0
        var results: [Result<RunMetrics, UsageError>?]
        init(count: Int) { results = Array(repeating: nil, count: count) }

        func next() -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard cursor < results.count else { return nil }
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
