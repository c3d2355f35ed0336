import Foundation
import PCPModel
import PCPScenario

/// What a claim turned out to be. A refuted claim is a finding about the change, not a bug.
public enum Verdict: String, Sendable {
    case confirmed = "CONFIRMED", refuted = "REFUTED", inconclusive = "INCONCLUSIVE"
}

public struct ClaimResult: Sendable {
    public var claim: String
    public var source: String
    public var verdict: Verdict
    /// The numbers behind the verdict, one line per expectation (or the reason it can't be tested).
    public var evidence: [String]
}

public struct AnalyzeError: Error, CustomStringConvertible {
    public let description: String
}

/// Runs a card's claims and judges each expectation on its 95% intervals over the seeds
/// (`Judge`). A claim is CONFIRMED when every expectation is, REFUTED when one is, INCONCLUSIVE
/// otherwise (with the reason) or when the model cannot test it.
public enum Analyze {
    public static func evaluate(_ card: Card, run: (Card.Settings) throws -> CompareResult) throws -> [ClaimResult] {
        var out: [ClaimResult] = []
        for claim in card.claims {
            if let why = claim.untestable {
                out.append(ClaimResult(claim: claim.text, source: claim.source, verdict: .inconclusive, evidence: ["not testable here: \(why)"]))
                continue
            }
            out.append(try judge(claim, card.path, try run(claim.settings)))
        }
        return out
    }

    /// One claim's verdict from the comparison it ran.
    public static func judge(_ claim: Card.Claim, _ path: String, _ r: CompareResult) throws -> ClaimResult {
        var verdicts: [Verdict] = []
        var evidence: [String] = []
        for e in claim.expects {
            let (v, line) = try judge(e, r, path)
            verdicts.append(v)
            evidence.append(line)
        }
        if r.warmupSeconds != nil { evidence.append(r.coverage) }
        return ClaimResult(claim: claim.text, source: claim.source, verdict: Judge.combine(verdicts), evidence: evidence)
    }

    static func judge(_ e: Card.Expect, _ r: CompareResult, _ path: String) throws -> (Verdict, String) {
        func runs(_ label: String) throws -> [RunMetrics] {
            guard let p = r.policies.first(where: { $0.policy == label }) else {
                throw AnalyzeError(description: "\(path):\(e.line): expect names variant '\(label)', not among \(r.policies.map(\.policy).joined(separator: ", "))")
            }
            return p.runs
        }
        let left = try runs(e.variant).map { try value($0, e.metric, path, e.line) }
        let right = try e.other.map { try runs($0).map { try value($0, e.metric, path, e.line) } }
        let o = Judge.judge(e.op, factor: e.factor, left: left, right: right, what: e.metric, other: e.other ?? "")
        var line = "\(e): \(e.variant) \(show(Interval(left)))"
        if let other = e.other, let right {
            line += " vs \(other) \(show(Interval(right)))"
            if let ratio = Interval.ratio(left, right) { line += ", ratio \(show(ratio))" }
        }
        if e.op != .about && e.op != .within, let d = o.interval, e.other != nil { line += ", difference \(show(d))" }
        line += " (\(left.count) seeds, 95% interval)"
        if o.verdict == .inconclusive { line += ": \(o.reason)" }
        return (o.verdict, line)
    }

    /// "mean [low, high]", or the mean alone without an interval.
    static func show(_ i: Interval) -> String {
        guard let lo = i.low, let hi = i.high else { return fmt(i.mean) }
        return "\(fmt(i.mean)) [\(fmt(lo)), \(fmt(hi))]"
    }

    /// Fails on the first expectation that names a metric `pcpsim run --json` does not have,
    /// before any claim runs.
    public static func checkMetrics(_ cards: [Card]) throws {
        var tiny = Scenario()
        tiny.machine = .x86(X86Machine(memory: try ByteSize(parsing: "64M"), cpus: 1))
        tiny.workload = .builtin("random")
        tiny.duration = .ops(10)
        guard let sample = try tiny.run().metrics else { return }
        for card in cards {
            for e in card.claims.flatMap(\.expects) { _ = try value(sample, e.metric, card.path, e.line) }
        }
    }

    /// A metric of one run by its JSON path (e.g. locks.zone.acquisitions, unusable_index.9).
    public static func value(_ m: RunMetrics, _ path: String, _ file: String = "", _ line: Int = 0) throws -> Double {
        var node: Any = try JSONSerialization.jsonObject(with: JSONEncoder().encode(m))
        for part in path.split(separator: ".") {
            guard let d = node as? [String: Any], let next = d[String(part)] else {
                throw AnalyzeError(description: "\(file):\(line): unknown metric '\(path)' (a key path of `pcpsim run --json`, e.g. locks.zone.acquisitions)")
            }
            node = next
        }
        guard let n = node as? NSNumber else { throw AnalyzeError(description: "\(file):\(line): metric '\(path)' is not a number") }
        return n.doubleValue
    }

    static func fmt(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(Int(v)) }
        return String(format: abs(v) >= 1000 ? "%.0f" : "%.4g", v)
    }

    /// The text report of one card.
    public static func render(_ card: Card, _ results: [ClaimResult]) -> String {
        var out = "== \(card.path): \(card.title)\n   \(card.messageID) (\(card.date)); enabled by \(card.enabledBy)\n"
        for r in results {
            out += r.verdict.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0) + r.claim + (r.source.isEmpty ? "" : "  [\(r.source)]") + "\n"
            for line in r.evidence { out += "             \(line)\n" }
        }
        return out
    }
}
