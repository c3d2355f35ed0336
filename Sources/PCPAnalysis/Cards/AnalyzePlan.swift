import Foundation
import PCPModel
import PCPScenario

/// An analysis as a `RunPlan`: one comparison per testable claim at its own settings, and with
/// `sensitivity` one per claim and condition (`Sensitivity.conditions`).
public enum AnalyzePlan {
    public struct Options: Sendable {
        public var small = false
        public var cost = CostModel()
        public var firstSeed: UInt64 = 1
        public var seedCount: Int?
        public var sensitivity = false
        /// Seeds per sensitivity condition (nil: `Card.Settings.defaultConditionSeeds`, or
        /// fewer when the claim itself runs fewer).
        public var conditionSeedCount: Int?
        /// Simulated seconds for every claim, instead of its operations.
        public var duration: Double?
        public init() {}
    }

    public static func build(_ cards: [Card], paths: [String], _ o: Options) throws(UsageError) -> RunPlan {
        var plan = RunPlan(kind: .analyze)
        plan.cards = paths
        for (ci, card) in cards.enumerated() {
            let stem = RunPlan.fileName(((card.path as NSString).lastPathComponent as NSString).deletingPathExtension)
            for (k, claim) in card.claims.enumerated() where claim.untestable == nil {
                let prefix = "\(stem)-c\(k + 1)-"
                let ownSeeds = claim.settings.seedCount(o.seedCount)
                let conditionSeeds = o.conditionSeedCount ?? min(Card.Settings.defaultConditionSeeds, ownSeeds)
                func add(_ s: Card.Settings, _ cost: CostModel, _ condition: String?) throws(UsageError) {
                    let p: Compare.Plan
                    do { p = try s.plan(small: o.small, cost: cost, firstSeed: o.firstSeed, seedCount: condition == nil ? ownSeeds : conditionSeeds) } catch {
                        throw UsageError("\(card.path):\(claim.line): \(error.description)")
                    }
                    plan.add(p, prefix: prefix + (condition.map { $0 + "-" } ?? ""), card: ci, claim: k, condition: condition)
                }
                var own = claim.settings
                if let d = o.duration { own.duration = d }
                try add(own, o.cost, nil)
                guard o.sensitivity else { continue }
                for c in Sensitivity.conditions(own, cost: o.cost) { try add(c.settings, c.cost, c.name) }
            }
        }
        plan.shareIdenticalRuns()
        return plan
    }

    /// Each card's claim results, and with sensitivity each claim's verdicts per condition.
    public static func results(_ plan: RunPlan, _ cards: [Card], _ metrics: [String: RunMetrics]) throws -> [(Card, [ClaimResult], [[Sensitivity.Cell]])] {
        var out: [(Card, [ClaimResult], [[Sensitivity.Cell]])] = []
        for (ci, card) in cards.enumerated() {
            var results: [ClaimResult] = []
            var cells: [[Sensitivity.Cell]] = []
            for (k, claim) in card.claims.enumerated() {
                let mine = plan.comparisons.filter { $0.card == ci && $0.claim == k }
                guard let own = mine.first(where: { $0.condition == nil }) else {
                    results.append(ClaimResult(claim: claim.text, source: claim.source, verdict: .inconclusive,
                                               evidence: ["not testable here: \(claim.untestable ?? "no runs")"]))
                    cells.append([])
                    continue
                }
                results.append(try Analyze.judge(claim, card.path, Merge.result(own, metrics)))
                cells.append(try mine.filter { $0.condition != nil }.map { c in
                    Sensitivity.Cell(condition: c.condition!, verdict: try Analyze.judge(claim, card.path, Merge.result(c, metrics)).verdict, seeds: c.seeds.count)
                })
            }
            out.append((card, results, cells))
        }
        return out
    }

    /// The text `pcpsim analyze` prints: each card, then the totals.
    public static func render(_ judged: [(Card, [ClaimResult], [[Sensitivity.Cell]])], sensitivity: Bool) -> String {
        var out = ""
        var totals: [Verdict: Int] = [:]
        for (card, results, cells) in judged {
            for r in results { totals[r.verdict, default: 0] += 1 }
            out += Analyze.render(card, results)
            if sensitivity {
                for (r, c) in zip(results, cells) where !c.isEmpty {
                    let seeds = Set(c.map(\.seeds)).sorted().map(String.init).joined(separator: "/")
                    out += "sensitivity  \(r.claim)\n             \(Sensitivity.summary(own: r.verdict, c)) (each condition on \(seeds) seeds)\n"
                }
            }
            out += "\n"
        }
        return out + "\(totals[.confirmed] ?? 0) confirmed, \(totals[.refuted] ?? 0) refuted, \(totals[.inconclusive] ?? 0) inconclusive\n"
    }
}
