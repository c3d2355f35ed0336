import Foundation

/// The side-by-side table: one row per metric, one column per policy.
public enum CompareTable {
    public static func render(_ r: CompareResult) -> String {
        var out = "workload \(r.workload)  machine \(r.machine)  seeds \(r.seeds.map(String.init).joined(separator: ","))  ops \(r.ops)\n"
        out += "each cell: mean ± half-width of its 95% t interval over the seeds; (×ratio [95% interval]) to \(r.policies.first?.policy ?? "the first policy"); \(r.coverage)\n"
        if let key = r.sweepParameter, let points = r.sweep {
            for p in points { out += "\n== \(key)=\(p.value)\n" + table(p.result) }
            return out
        }
        return out + table(r)
    }

    static func table(_ r: CompareResult) -> String {
        let width = 44
        var out = "metric".padding(toLength: 34, withPad: " ", startingAt: 0)
        for p in r.policies { out += p.policy.padding(toLength: width, withPad: " ", startingAt: 0) }
        out += "\n"
        for (key, _) in CompareResult.metricKeys {
            out += key.padding(toLength: 34, withPad: " ", startingAt: 0)
            for (k, p) in r.policies.enumerated() {
                let s = p.summary[key]!
                var cell = num(s.mean)
                if let lo = s.ci95Low, let hi = s.ci95High { cell += " ±" + num((hi - lo) / 2) }
                if k > 0 {
                    var rc = p.ratioToBaseline[key].map(ratio) ?? "×—"
                    if let ci = p.ratioInterval[key], ci.count == 2 { rc += String(format: " [%.2f, %.2f]", ci[0], ci[1]) }
                    cell += " (" + rc + ")"
                }
                out += cell.padding(toLength: width, withPad: " ", startingAt: 0)
            }
            out += "\n"
        }
        return out
    }

    static func num(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(Int(v)) }
        return String(format: abs(v) >= 100 ? "%.0f" : "%.3g", v)
    }

    static func ratio(_ v: Double) -> String { String(format: "×%.2f", v) }
}
