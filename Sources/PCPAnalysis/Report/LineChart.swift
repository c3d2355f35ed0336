/// Line charts: one line per policy, a circle per point carrying its data attributes.
enum LineChart {
    struct Point { var x: Double, y: Double, data: DataAttributes, title: String }
    struct Line {
        var policy: String, points: [Point]
        /// A shaded band around the line (the 95% interval at each x), where known.
        var band: [(x: Double, low: Double, high: Double)] = []
        var metric = ""
    }

    /// How x is drawn: a continuous axis from zero (time), or one category per index (sweep values).
    enum XAxis {
        case linear(label: String)
        case categories([String], label: String)
    }

    static func render(title: String, yLabel: String, x axis: XAxis, lines: [Line], colors: PolicyColors) -> String {
        var c = SVGChart(title: title)
        let points = lines.flatMap(\.points)
        let yTicks = Ticks(upTo: max(points.map(\.y).max() ?? 0, lines.flatMap(\.band).map(\.high).max() ?? 0))
        let y = LinearScale(domain: 0, yTicks.top, range: c.bottom, c.top)
        c.yAxis(yTicks, y, label: yLabel)
        let x: LinearScale
        switch axis {
        case .linear(let label):
            let xTicks = Ticks(upTo: points.map(\.x).max() ?? 0, count: 8)
            x = LinearScale(domain: 0, xTicks.top, range: c.left, c.right)
            c.xAxis(xTicks.values.map { (x($0), xTicks.label($0)) }, label: label)
        case .categories(let names, let label):
            x = LinearScale(domain: -0.5, Double(names.count) - 0.5, range: c.left, c.right)
            c.xAxis(names.enumerated().map { (x(Double($0.offset)), $0.element) }, label: label)
        }
        if points.isEmpty { c.text("no samples", x: (c.left + c.right) / 2, y: (c.top + c.bottom) / 2, anchor: "middle") }
        for line in lines where line.band.count > 1 {
            c.band(line.band.map { (x($0.x), y(max($0.low, 0)), y($0.high)) }, color: colors(line.policy), policy: line.policy, metric: line.metric)
        }
        for line in lines {
            c.polyline(line.points.map { (x($0.x), y($0.y)) }, color: colors(line.policy))
        }
        for line in lines {
            for p in line.points { c.point(x: x(p.x), y: y(p.y), color: colors(line.policy), p.data, title: p.title) }
        }
        c.legend(colors.legend.filter { e in lines.contains { $0.policy == e.label } })
        return c.svg
    }
}
