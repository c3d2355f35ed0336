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

/// Runs a card's claims and judges each expectation seed by seed: it holds on every seed
/// (pass), on none (fail), or on some (mixed). A claim is CONFIRMED when every expectation
/// passes, REFUTED when one fails, INCONCLUSIVE otherwise or when the model cannot test it.
public enum Analyze {
    public static func evaluate(_ card: Card, run: (Card.Settings) throws -> CompareResult) throws -> [ClaimResult] {
        var out: [ClaimResult] = []
        for claim in card.claims {
            if let why = claim.untestable {
                out.append(ClaimResult(claim: claim.text, source: claim.source, verdict: .inconclusive, evidence: ["not testable here: \(why)"]))
                continue
            }
            let r = try run(claim.settings)
            var verdicts: [Verdict] = []
            var evidence: [String] = []
            for e in claim.expects {
                let (v, line) = try judge(e, r, card.path)
                verdicts.append(v)
                evidence.append(line)
            }
            let verdict: Verdict = verdicts.contains(.refuted) ? .refuted : verdicts.allSatisfy { $0 == .confirmed } ? .confirmed : .inconclusive
            out.append(ClaimResult(claim: claim.text, source: claim.source, verdict: verdict, evidence: evidence))
        }
        return out
    }

    static func judge(_ e: Card.Expect, _ r: CompareResult, _ path: String) throws -> (Verdict, String) {
        func runs(_ label: String) throws -> [RunMetrics] {
            guard let p = r.policies.first(where: { $0.policy == label }) else {
                throw AnalyzeError(description: "\(path):\(e.line): expect names variant '\(label)', not among \(r.policies.map(\.policy).joined(separator: ", "))")
            }
            return p.runs
        }
        let left = try runs(e.variant).map { try value($0, e.metric, path, e.line) }
        let right: [Double]
        if let other = e.other {
            right = try runs(other).map { try value($0, e.metric, path, e.line) * (e.op == .within ? 1 : e.factor) }
        } else {
            right = Array(repeating: e.factor, count: left.count)
        }
        var passes = 0
        for (a, b) in zip(left, right) {
            let ok: Bool
            switch e.op {
            case .lt: ok = a < b
            case .le: ok = a <= b
            case .gt: ok = a > b
            case .ge: ok = a >= b
            case .about: ok = b == 0 ? a == 0 : (a / b >= 0.5 && a / b <= 2)
            case .within: ok = abs(a - b) <= e.factor / 100 * abs(b)
            }
            if ok { passes += 1 }
        }
        let n = left.count
        let v: Verdict = passes == n ? .confirmed : passes == 0 ? .refuted : .inconclusive
        let mean = { (xs: [Double]) in xs.reduce(0, +) / Double(max(xs.count, 1)) }
        let rhs = e.other.map { "\($0) \(fmt(mean(right) / (e.op == .within ? 1 : e.factor)))" } ?? fmt(e.factor)
        return (v, "\(e): \(e.variant) \(fmt(mean(left))) vs \(rhs) (holds on \(passes)/\(n) seeds)")
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
        return String(format: "%.3f", v)
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
