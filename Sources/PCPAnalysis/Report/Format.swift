/// Number formatting by hand: no Foundation, no locale, so the report is byte-for-byte stable.
enum Format {
    /// The value exactly as the JSON carries it (Swift's shortest round-trip form), so a
    /// `data-value` attribute compares equal to the metric it draws.
    static func exact(_ v: Double) -> String { v.description }

    /// `v` rounded to `decimals` places: `fixed(3.14159, 2) == "3.14"`. For coordinates and ticks.
    static func fixed(_ v: Double, _ decimals: Int) -> String {
        guard v.isFinite else { return v.description }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let n = (abs(v) * scale).rounded()
        guard n < 1e18 else { return v.description }
        var digits = String(UInt64(n))
        if decimals > 0 {
            if digits.count <= decimals { digits = String(repeating: "0", count: decimals + 1 - digits.count) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -decimals))
        }
        return (v < 0 && n > 0 ? "-" : "") + digits
    }

    /// About three significant digits with a k/M/G suffix, for table cells and labels:
    /// "1.23M", "45.6", "0.0123"; whole numbers below 1000 print as integers.
    static func short(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "NaN" : v > 0 ? "∞" : "-∞" }
        let a = abs(v)
        let (divisor, suffix) = unit(a)
        if divisor == 1, a == a.rounded() { return fixed(v, 0) }
        let s = a / divisor
        var decimals = s >= 100 ? 0 : s >= 10 ? 1 : 2
        var t = s
        while t < 1, decimals < 8 { t *= 10; decimals += 1 }
        return (v < 0 ? "-" : "") + fixed(s, decimals) + suffix
    }

    /// A ratio to the baseline: "1.00×", or "∞×" when the baseline is zero.
    static func ratio(_ v: Double) -> String {
        v.isFinite ? fixed(v, 2) + "×" : short(v) + "×"
    }

    /// The SI-style unit a magnitude prints in.
    static func unit(_ magnitude: Double) -> (divisor: Double, suffix: String) {
        magnitude >= 1e9 ? (1e9, "G") : magnitude >= 1e6 ? (1e6, "M") : magnitude >= 1e3 ? (1e3, "k") : (1, "")
    }
}
