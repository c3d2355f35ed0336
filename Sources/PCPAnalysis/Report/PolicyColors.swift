/// One colour per policy, the same in every chart, in the order the policies first appear.
/// Okabe–Ito colours stay distinguishable for colour-blind readers; the baseline (first) is grey.
struct PolicyColors {
    private static let palette = ["#555555", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442"]
    let policies: [String]

    init(_ names: [String]) {
        var seen: [String] = []
        for name in names where !seen.contains(name) { seen.append(name) }
        policies = seen
    }

    func callAsFunction(_ policy: String) -> String {
        let i = policies.firstIndex(of: policy) ?? 0
        return Self.palette[i % Self.palette.count]
    }

    var legend: [(label: String, color: String)] { policies.map { ($0, self($0)) } }
}
