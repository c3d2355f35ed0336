import PCPModel

/// Several policies run on the same machine and workload, over several seeds: what
/// `pcpsim compare --json` writes and the HTML report draws.
public struct CompareResult: Codable, Sendable, Equatable {
    /// A metric over the seeds: mean, range, standard deviation, and the mean's 95% t interval
    /// (absent with one seed).
    public struct Spread: Codable, Sendable, Equatable {
        public var mean: Double, min: Double, max: Double, stddev: Double
        public var ci95Low: Double?, ci95High: Double?
        enum CodingKeys: String, CodingKey { case mean, min, max, stddev, ci95Low = "ci95_low", ci95High = "ci95_high" }
        public init(_ values: [Double]) {
            let i = Interval(values)
            ci95Low = i.low
            ci95High = i.high
            let n = Double(Swift.max(values.count, 1))
            mean = values.reduce(0, +) / n
            self.min = values.min() ?? 0
            self.max = values.max() ?? 0
            let m = mean
            stddev = (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n).squareRoot()
        }
    }

    public struct PolicyResult: Codable, Sendable, Equatable {
        public var policy: String
        /// One run per seed, in seed order.
        public var runs: [RunMetrics]
        /// Per table metric (CompareResult.metricKeys): spread over the seeds.
        public var summary: [String: Spread]
        /// Per table metric: this policy's mean over the first policy's mean (the baseline);
        /// absent where the baseline's mean is 0 and the ratio is undefined.
        public var ratioToBaseline: [String: Double]
        /// Per table metric: the ratio's 95% interval over the paired seeds (absent with one seed
        /// or where the ratio is undefined).
        public var ratioInterval: [String: [Double]]
        enum CodingKeys: String, CodingKey { case policy, runs, summary, ratioToBaseline = "ratio_to_baseline", ratioInterval = "ratio_ci95" }
    }

    public struct SweepPoint: Codable, Sendable, Equatable {
        public var value: String
        public var result: CompareResult
        public init(value: String, result: CompareResult) { self.value = value; self.result = result }
    }

    public var workload: String
    /// The machine the runs used, in words (e.g. "64 CPUs, 64G, 1 node").
    public var machine: String
    public var seeds: [UInt64]
    public var ops: Int
    public var policies: [PolicyResult]
    /// With --sweep: the parameter, and a full comparison at each of its values.
    public var sweepParameter: String?
    public var sweep: [SweepPoint]?
    /// The warm-up every run's metrics leave out, in simulated seconds (the longest of them);
    /// absent when the metrics cover whole runs.
    public var warmupSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case workload, machine, seeds, ops, policies, sweepParameter = "sweep_parameter", sweep, warmupSeconds = "warmup_seconds"
    }

    /// What the figures cover, in words, for the table's header.
    public var coverage: String {
        guard let w = warmupSeconds ?? sweep?.first?.result.warmupSeconds else {
            return "metrics cover whole runs, warm-up included (the runs are counted in operations or last under two stat intervals)"
        }
        return "metrics exclude the first \(String(format: "%.3g", w)) s warm-up (one stat interval: PCPs fill from empty and pcp->high is not yet tuned)"
    }

    /// The table's metrics: key path in RunMetrics' JSON, and how to read it from a run.
    public static let metricKeys: [(key: String, value: @Sendable (RunMetrics) -> Double)] = [
        ("throughput_pages_per_sim_s", { $0.throughputPagesPerSimS }),
        ("locks.zone.acquisitions", { Double($0.locks.zone.acquisitions) }),
        ("locks.zone.contentions", { Double($0.locks.zone.contentions) }),
        ("locks.zone.wait_ns_total", { $0.locks.zone.waitNsTotal }),
        ("locks.zone.hold_ns_total", { $0.locks.zone.holdNsTotal }),
        ("locks.pcp.acquisitions", { Double($0.locks.pcp.acquisitions) }),
        ("locks.pcp.contentions", { Double($0.locks.pcp.contentions) }),
        ("locks.pcp.wait_ns_total", { $0.locks.pcp.waitNsTotal }),
        ("locks.pcp.hold_ns_total", { $0.locks.pcp.holdNsTotal }),
        ("locks.pcp.remote_acquisitions", { Double($0.locks.pcp.remoteAcquisitions ?? 0) }),
        ("zone_lock_pages_per_acquisition", { $0.zoneLockPagesPerAcquisition }),
        ("zone_lock_acquisitions_per_mpage", { $0.zoneLockAcquisitionsPerMillionPages }),
        ("merges.zone_lock", { Double($0.merges.zoneLock) }),
        ("merges.pcp_lock", { Double($0.merges.pcpLock) }),
        ("pcp_pages.mean", { $0.pcpPages.mean }),
        ("pcp_pages.peak", { Double($0.pcpPages.peak) }),
        ("free_pageblocks", { Double($0.freePageblocks) }),
        ("unusable_index.9", { Double($0.unusableIndex["9"] ?? 0) }),
        ("alloc_failures", { Double($0.allocFailures) }),
    ]

    /// Builds the summary and ratios from the runs (the first policy is the baseline).
    public init(workload: String, machine: String, seeds: [UInt64], ops: Int, runs: [(policy: String, runs: [RunMetrics])]) {
        self.workload = workload
        self.machine = machine
        self.seeds = seeds
        self.ops = ops
        var results: [PolicyResult] = []
        for (policy, rs) in runs {
            var summary: [String: Spread] = [:]
            for (key, value) in CompareResult.metricKeys { summary[key] = Spread(rs.map(value)) }
            results.append(PolicyResult(policy: policy, runs: rs, summary: summary, ratioToBaseline: [:], ratioInterval: [:]))
        }
        if let base = results.first {
            for k in results.indices {
                for (key, value) in CompareResult.metricKeys {
                    let b = base.summary[key]!.mean, v = results[k].summary[key]!.mean
                    if b != 0 { results[k].ratioToBaseline[key] = v / b }
                    if k > 0, let r = Interval.ratio(results[k].runs.map(value), base.runs.map(value)), let lo = r.low, let hi = r.high {
                        results[k].ratioInterval[key] = [lo, hi]
                    }
                }
            }
        }
        policies = results
        let warm = runs.flatMap(\.runs).map(\.warmupSeconds)
        warmupSeconds = !warm.isEmpty && warm.allSatisfy { $0 != nil } ? warm.compactMap { $0 }.max() : nil
    }
}

extension RunMetrics {
    /// zone->lock acquisitions per million pages allocated.
    public var zoneLockAcquisitionsPerMillionPages: Double {
        pagesAllocated > 0 ? Double(locks.zone.acquisitions) * 1e6 / Double(pagesAllocated) : 0
    }
}
