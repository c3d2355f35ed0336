/// A mean over independent runs (one per seed) with its 95% Student t interval. With fewer than
/// two runs there is no interval: `low`/`high` are nil and nothing can be concluded from it.
public struct Interval: Codable, Sendable, Equatable {
    public var mean: Double
    public var low: Double?
    public var high: Double?
    public var n: Int

    public init(mean: Double, low: Double?, high: Double?, n: Int) {
        self.mean = mean; self.low = low; self.high = high; self.n = n
    }

    /// The t interval of the mean of `values`.
    public init(_ values: [Double]) {
        n = values.count
        mean = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
        guard values.count >= 2 else { low = nil; high = nil; return }
        let m = mean
        let variance = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)
        // Spread below the doubles' rounding noise is no spread.
        let sd = variance.squareRoot() <= abs(m) * 1e-12 ? 0 : variance.squareRoot()
        let half = Student.t975(df: values.count - 1) * sd / Double(values.count).squareRoot()
        low = m - half
        high = m + half
    }

    /// The interval of the ratio of two means over paired runs (the same seeds): the ratio of the
    /// means, its interval by linearising a/b around it (z = (a - R b) / mean(b), the delta
    /// method). Nil when `b`'s mean is 0: there is no ratio.
    public static func ratio(_ a: [Double], _ b: [Double]) -> Interval? {
        let n = min(a.count, b.count)
        guard n > 0 else { return nil }
        let ma = a.prefix(n).reduce(0, +) / Double(n), mb = b.prefix(n).reduce(0, +) / Double(n)
        guard mb != 0 else { return nil }
        let r = ma / mb
        let z = (0..<n).map { (a[$0] - r * b[$0]) / mb }
        let zi = Interval(z)
        guard let lo = zi.low, let hi = zi.high else { return Interval(mean: r, low: nil, high: nil, n: n) }
        return Interval(mean: r, low: r + lo, high: r + hi, n: n)
    }

    /// Whether there is an interval at all.
    public var isDefined: Bool { low != nil && high != nil }
}

/// Quantiles of Student's t distribution.
enum Student {
    /// The two-sided 95% quantile (0.975) for `df` degrees of freedom.
    static func t975(df: Int) -> Double {
        let table: [Double] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                               2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                               2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
        if df >= 1 && df <= table.count { return table[df - 1] }
        if df <= 40 { return 2.021 }
        if df <= 60 { return 2.000 }
        if df <= 120 { return 1.980 }
        return 1.960
    }
}
