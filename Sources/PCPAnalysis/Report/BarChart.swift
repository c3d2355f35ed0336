/// Grouped bars of per-policy means over the seeds, with min–max whiskers.
enum BarChart {
    struct Bar { var policy: String, metric: String, spread: CompareResult.Spread }
    struct Group { var label: String, bars: [Bar] }

    static func render(title: String, yLabel: String, groups: [Group], colors: PolicyColors) -> String {
        var c = SVGChart(title: title)
        let highest = groups.flatMap(\.bars).map { Swift.max($0.spread.mean, $0.spread.max) }.max() ?? 0
        // Headroom for the value labels written above the bars.
        let ticks = Ticks(upTo: highest * 1.2)
        let y = LinearScale(domain: 0, ticks.top, range: c.bottom, c.top)
        c.yAxis(ticks, y, label: yLabel)
        let groupWidth = (c.right - c.left) / Double(Swift.max(groups.count, 1))
        let slots = Double(Swift.max(groups.map(\.bars.count).max() ?? 1, 1))
        let barWidth = groupWidth * 0.8 / slots
        var xTicks: [(x: Double, label: String)] = []
        for (g, group) in groups.enumerated() {
            let start = c.left + Double(g) * groupWidth + groupWidth * 0.1
            xTicks.append((start + barWidth * Double(group.bars.count) / 2, group.label))
            for (i, bar) in group.bars.enumerated() {
                let x = start + Double(i) * barWidth, s = bar.spread
                let summary = "\(Format.short(s.mean)) (\(Format.short(s.min))–\(Format.short(s.max)))"
                c.rect(x: x + 1, y: y(s.mean), width: Swift.max(barWidth - 2, 1), height: y(0) - y(s.mean), fill: colors(bar.policy),
                       DataAttributes(policy: bar.policy, metric: bar.metric, value: s.mean),
                       title: "\(bar.policy), \(group.label): mean \(summary) over seeds")
                let mid = x + barWidth / 2
                if s.max > s.min { c.whisker(x: mid, from: y(s.min), to: y(s.max), cap: Swift.min(barWidth / 4, 5)) }
                c.text(Format.short(s.mean), x: mid + 3, y: y(Swift.max(s.mean, s.max)) - 4, cls: "value", rotate: true)
            }
        }
        c.xAxis(xTicks, label: "")
        c.legend(colors.legend)
        return c.svg
    }
}
