import XCTest
@testable import PCPAnalysis

/// The verdict logic: a claim is CONFIRMED or REFUTED only when the 95% interval over the seeds
/// clears its threshold.
final class VerdictTests: XCTestCase {
    func testTIntervalOfKnownSample() {
        // mean 3, sd 1.5811, t(4) = 2.776: half-width 1.963
        let i = Interval([1, 2, 3, 4, 5])
        XCTAssertEqual(i.mean, 3)
        XCTAssertEqual(i.low!, 3 - 2.776 * 1.5811388 / 5.0.squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(i.high!, 3 + 2.776 * 1.5811388 / 5.0.squareRoot(), accuracy: 1e-6)
        XCTAssertNil(Interval([7]).low, "one run has no interval")
    }

    func testRatioIntervalOfProportionalPairsIsExact() {
        let r = Interval.ratio([2, 4, 6], [1, 2, 3])!
        XCTAssertEqual(r.mean, 2)
        XCTAssertEqual(r.low!, 2, accuracy: 1e-12)
        XCTAssertEqual(r.high!, 2, accuracy: 1e-12)
        XCTAssertNil(Interval.ratio([1, 2], [0, 0]), "no ratio to a zero mean")
    }

    func testNothingToMeasureIsInconclusive() {
        let o = Judge.judge(.lt, factor: 1, left: [0, 0, 0, 0, 0], right: [0, 0, 0, 0, 0], what: "merges.zone_lock", other: "baseline")
        XCTAssertEqual(o.verdict, .inconclusive)
        XCTAssertTrue(o.reason.contains("nothing to measure"), o.reason)
        let r = Judge.judge(.lt, factor: 1, left: [3, 4, 5, 3, 4], right: [0, 0, 0, 0, 0], what: "merges.zone_lock", other: "baseline")
        XCTAssertEqual(r.verdict, .inconclusive)
        XCTAssertEqual(r.reason, "no merges.zone_lock in baseline to reduce")
    }

    func testIntervalSpanningTheThresholdIsInconclusive() {
        // Means differ (10 vs 11) but the seeds scatter across each other.
        let o = Judge.judge(.lt, factor: 1, left: [6, 14, 8, 12, 10], right: [11, 9, 13, 12, 10])
        XCTAssertEqual(o.verdict, .inconclusive)
        XCTAssertEqual(o.reason, "interval spans the threshold (with its 10% margin)")
        XCTAssertLessThan(o.interval!.low!, 0)
        XCTAssertGreaterThan(o.interval!.high!, 0)
        // ~ : ratio interval straddling the factor-of-2 band.
        XCTAssertEqual(Judge.judge(.about, factor: 1, left: [0.2, 1.6, 0.4, 1.4, 0.9], right: nil).verdict, .inconclusive)
    }

    func testClearEffectIsConfirmedAndItsOppositeRefuted() {
        let less = [50.0, 52, 49, 51, 50], more = [100.0, 98, 103, 101, 99]
        XCTAssertEqual(Judge.judge(.lt, factor: 1, left: less, right: more).verdict, .confirmed)
        XCTAssertEqual(Judge.judge(.gt, factor: 1, left: less, right: more).verdict, .refuted)
        XCTAssertEqual(Judge.judge(.lt, factor: 0.6, left: less, right: more).verdict, .confirmed)
        XCTAssertEqual(Judge.judge(.lt, factor: 0.4, left: less, right: more).verdict, .refuted)
        XCTAssertEqual(Judge.judge(.within, factor: 10, left: more, right: more.map { $0 * 1.02 }).verdict, .confirmed)
        XCTAssertEqual(Judge.judge(.within, factor: 10, left: less, right: more).verdict, .refuted)
        // Identical runs at the threshold: a strict reduction that is not there.
        XCTAssertEqual(Judge.judge(.lt, factor: 1, left: [5, 5, 5], right: [5, 5, 5]).verdict, .refuted)
        XCTAssertEqual(Judge.judge(.gt, factor: 0, left: [7, 7, 7], right: nil).verdict, .confirmed)
    }

    /// An effect smaller than the margin (10% of the threshold) is no effect: a claimed
    /// reduction of 4% is refuted, whatever the seeds; a non-strict claim tolerates it.
    func testEffectInsideTheMarginOfPracticalSignificance() {
        let base = [986.0, 986, 986, 986, 986]
        let a = [1010.0, 1050, 1080, 1030, 1055], b = [1000.0, 990, 1060, 1020, 1035]
        XCTAssertEqual(Judge.judge(.lt, factor: 1, left: a, right: base).verdict, .refuted)
        XCTAssertEqual(Judge.judge(.lt, factor: 1, left: b, right: base).verdict, .refuted)
        XCTAssertEqual(Judge.judge(.le, factor: 1, left: b, right: base).verdict, .confirmed)
        // 5% fewer, tightly: real, but not the meaningful reduction a strict claim makes.
        XCTAssertEqual(Judge.judge(.lt, factor: 1, left: base.map { $0 * 0.95 }, right: base).verdict, .refuted)
        // A ratio just below a band's edge is not yet outside it.
        XCTAssertEqual(Judge.judge(.about, factor: 1, left: [0.40, 0.47, 0.44, 0.50, 0.45], right: nil).verdict, .inconclusive)
    }

    func testOneSeedDecidesNothing() {
        let o = Judge.judge(.lt, factor: 1, left: [1], right: [2])
        XCTAssertEqual(o.verdict, .inconclusive)
        XCTAssertTrue(o.reason.contains("no interval"), o.reason)
    }

    func testClaimVerdictCombinesExpectations() {
        XCTAssertEqual(Judge.combine([.confirmed, .confirmed]), .confirmed)
        XCTAssertEqual(Judge.combine([.confirmed, .inconclusive]), .inconclusive)
        XCTAssertEqual(Judge.combine([.inconclusive, .refuted]), .refuted)
    }

    func testEffectWhoseDirectionFlipsAcrossTheSweep() {
        // Judged per condition, as --sensitivity does: the reduction holds on big machines only.
        let base = [100.0, 101, 99, 100, 102]
        func at(_ cpus: Int, _ factor: Double) -> Sensitivity.Cell {
            Sensitivity.Cell(condition: "cpus=\(cpus)", verdict: Judge.judge(.lt, factor: 1, left: base.map { $0 * factor }, right: base).verdict)
        }
        let cells = [at(8, 1.3), at(32, 0.7), at(128, 0.6), at(256, 0.5),
                     Sensitivity.Cell(condition: "pcp_lock_ns×0.5", verdict: .confirmed), Sensitivity.Cell(condition: "pcp_lock_ns×2", verdict: .refuted)]
        XCTAssertEqual(cells.map(\.verdict), [.refuted, .confirmed, .confirmed, .confirmed, .confirmed, .refuted])
        XCTAssertEqual(Sensitivity.summary(own: .confirmed, cells),
                       "CONFIRMED at the claim's settings; holds for cpus ≥ 32, REFUTED for cpus ≤ 8; flips to REFUTED when pcp_lock_ns ≥ 2× default")
        XCTAssertEqual(Sensitivity.summary(own: .confirmed, [Sensitivity.Cell(condition: "cpus=8", verdict: .confirmed)]),
                       "holds everywhere (1 conditions and the claim's own)")
        XCTAssertEqual(Sensitivity.summary(own: .refuted, [Sensitivity.Cell(condition: "cpus=8", verdict: .refuted)]),
                       "never holds (1 conditions and the claim's own)")
    }

    func testSensitivityConditionsScaleMemoryAndOpsWithCPUs() throws {
        var s = Card.Settings()
        s.workload = .builtin("fault-loop")
        s.cpus = 16
        s.memory = try .init(parsing: "8G")
        s.ops = 400_000
        let cs = Sensitivity.conditions(s, cost: .init())
        let scale = cs.filter { $0.name.hasPrefix("cpus=") }
        XCTAssertEqual(scale.map(\.name), ["cpus=8", "cpus=32", "cpus=128", "cpus=256"])
        XCTAssertEqual(scale.map { $0.settings.memory?.bytes }, [4 << 30, 16 << 30, 64 << 30, 128 << 30])
        XCTAssertEqual(scale.map { $0.settings.ops }, [200_000, 800_000, 3_200_000, 6_400_000])
        let costs = cs.filter { $0.name.contains("×") }
        XCTAssertEqual(costs.count, 20, "each of the ten cost constants at ×0.5 and ×2")
        XCTAssertEqual(costs.first { $0.name == "pcp_lock_ns×2" }?.cost.pcpLockNs, 16.6)
        XCTAssertEqual(cs.filter { $0.name.hasPrefix("pages=") }.map(\.name), ["pages=16384", "pages=65536"])
    }
}

/// How an analysis becomes runs: seeds per claim and per condition, and shared runs.
final class AnalyzePlanTests: XCTestCase {
    static let card = """
        title: t
        cpus: 2
        memory: 128M
        ops: 2000
        variants: baseline, pcp-buddy
        claim: fewer zone->lock acquisitions
          workload: fault-loop
          expect: locks.zone.acquisitions pcp-buddy < baseline
        claim: fewer zone->lock waits
          workload: fault-loop
          expect: locks.zone.wait_ns_total pcp-buddy < baseline
        claim: more throughput on another workload
          workload: random
          expect: throughput_pages_per_sim_s pcp-buddy > baseline

        """

    func testConditionsRunOnThreeSeedsAndTheClaimOnFive() throws {
        let card = try Card.parse(AnalyzePlanTests.card, path: "t.card")
        var o = AnalyzePlan.Options()
        o.sensitivity = true
        let plan = try AnalyzePlan.build([card], paths: ["t.card"], o)
        for c in plan.comparisons {
            XCTAssertEqual(c.seeds.count, c.condition == nil ? 5 : 3, c.condition ?? "own")
            XCTAssertEqual(c.columns.map(\.runs.count), [c.seeds.count, c.seeds.count])
        }
        o.conditionSeedCount = 5
        let full = try AnalyzePlan.build([card], paths: ["t.card"], o)
        XCTAssertTrue(full.comparisons.allSatisfy { $0.seeds.count == 5 })
    }

    /// The first two claims measure one workload on one machine: they share every run, condition
    /// by condition, and the third claim's workload keeps runs of its own.
    func testClaimsOnTheSameRunsShareThem() throws {
        let card = try Card.parse(AnalyzePlanTests.card, path: "t.card")
        var o = AnalyzePlan.Options()
        o.sensitivity = true
        let plan = try AnalyzePlan.build([card], paths: ["t.card"], o)
        let byClaim = Dictionary(grouping: plan.comparisons, by: { $0.claim! })
        XCTAssertEqual(byClaim[0]!.map(\.columns), byClaim[1]!.map(\.columns))
        XCTAssertTrue(Set(byClaim[0]!.flatMap { $0.columns.flatMap(\.runs) }).isDisjoint(with: byClaim[2]!.flatMap { $0.columns.flatMap(\.runs) }))
        let names = plan.runs.map(\.name)
        XCTAssertEqual(Set(names).count, names.count)
        XCTAssertEqual(Set(plan.comparisons.flatMap { $0.columns.flatMap(\.runs) }), Set(names), "every run is used and every used run is planned")
        XCTAssertFalse(names.contains { $0.hasPrefix("t-c2-") })
    }
}
