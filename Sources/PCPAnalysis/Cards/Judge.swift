/// Judges one expectation on its intervals over the seeds. A claim is CONFIRMED or REFUTED only
/// when the 95% interval clears its threshold by the margin of practical significance (10% of
/// the threshold): a strict claim (< >) needs an effect larger than the margin, a non-strict one
/// (<= >=) tolerates an excess smaller than it, and a band (~, within) is refuted only by an
/// interval the margin beyond its edge. Otherwise INCONCLUSIVE, with the reason. Without the
/// margin, an effect of a few percent flips between a verdict and INCONCLUSIVE from one seed set
/// to the next.
public enum Judge {
    /// The margin of practical significance, as a fraction of the threshold.
    public static let margin = 0.10

    public struct Outcome: Sendable, Equatable {
        public var verdict: Verdict
        /// Why an INCONCLUSIVE verdict is one (empty otherwise).
        public var reason: String
        /// The interval the verdict rests on: of left − rhs for < <= > >=, of left / rhs for ~ and within.
        public var interval: Interval?
    }

    /// `left OP factor × right` (or `left OP factor` without `right`) per seed, paired by seed.
    /// `what` names the metric, `other` the right-hand variant, for the reasons.
    public static func judge(_ op: Card.Expect.Op, factor: Double, left: [Double], right: [Double]?,
                             what: String = "the metric", other: String = "the reference") -> Outcome {
        if let right {
            if left.allSatisfy({ $0 == 0 }) && right.allSatisfy({ $0 == 0 }) {
                return Outcome(verdict: .inconclusive, reason: "nothing to measure: \(what) is 0 on every run of both", interval: nil)
            }
            if (op == .lt || op == .le), right.allSatisfy({ $0 == 0 }) {
                return Outcome(verdict: .inconclusive, reason: "no \(what) in \(other) to reduce", interval: nil)
            }
        }
        let n = min(left.count, right?.count ?? left.count)
        let l = Array(left.prefix(n))
        let rhs = right.map { r in (0..<n).map { op == .within ? r[$0] : r[$0] * factor } } ?? Array(repeating: factor, count: n)
        switch op {
        case .lt, .le, .gt, .ge:
            let d = Interval((0..<n).map { l[$0] - rhs[$0] })
            guard let lo = d.low, let hi = d.high else { return noInterval(d) }
            let m = margin * abs(rhs.reduce(0, +) / Double(max(n, 1)))
            // The threshold the claim is held to: a strict claim needs more than the margin.
            let (yes, no): (Bool, Bool)
            switch op {
            case .lt: (yes, no) = (hi < -m, lo >= -m)
            case .le: (yes, no) = (hi <= m, lo > m)
            case .gt: (yes, no) = (lo > m, hi <= m)
            default: (yes, no) = (lo >= -m, hi < -m)
            }
            return decide(yes, no, d)
        case .about, .within:
            let band = op == .about ? (0.5, 2.0) : (1 - factor / 100, 1 + factor / 100)
            guard let r = Interval.ratio(l, rhs) else {
                return Outcome(verdict: .refuted, reason: "", interval: nil)  // rhs 0, left not: no finite ratio
            }
            guard let lo = r.low, let hi = r.high else { return noInterval(r) }
            return decide(lo >= band.0 && hi <= band.1, hi < band.0 / (1 + margin) || lo > band.1 * (1 + margin), r)
        }
    }

    static func decide(_ yes: Bool, _ no: Bool, _ i: Interval) -> Outcome {
        yes ? Outcome(verdict: .confirmed, reason: "", interval: i)
            : no ? Outcome(verdict: .refuted, reason: "", interval: i)
            : Outcome(verdict: .inconclusive, reason: "interval spans the threshold (with its 10% margin)", interval: i)
    }

    static func noInterval(_ i: Interval) -> Outcome {
        Outcome(verdict: .inconclusive, reason: "\(i.n) seed(s): no interval (run at least 2)", interval: i)
    }

    /// A claim's verdict from its expectations': REFUTED if one is, CONFIRMED if all are.
    public static func combine(_ vs: [Verdict]) -> Verdict {
        vs.contains(.refuted) ? .refuted : vs.allSatisfy { $0 == .confirmed } ? .confirmed : .inconclusive
    }
}
