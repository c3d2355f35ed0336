/// A heat map of one per-CPU count: one row per policy, one cell per CPU, darker for more. All
/// rows share one colour scale so policies compare at a glance; the exact count is in each
/// cell's tooltip.
enum HeatMap {
    struct Row { var policy: String, values: [(cpu: Int, value: Int)] }

    static func render(title: String, metric: String, what: String, rows: [Row]) -> String {
        let rowHeight = 24.0
        let height = 40 + rowHeight * Double(rows.count) + 66
        var c = SVGChart(title: title, height: height, margin: (40, 30, 66, 120))
        let columns = rows.map(\.values.count).max() ?? 0
        let cellWidth = (c.right - c.left) / Double(Swift.max(columns, 1))
        let highest = rows.flatMap(\.values).map(\.value).max() ?? 0
        for (r, row) in rows.enumerated() {
            let y = c.top + Double(r) * rowHeight
            c.text(row.policy, x: c.left - 8, y: y + rowHeight / 2 + 4, anchor: "end")
            for (i, cell) in row.values.enumerated() {
                c.rect(x: c.left + Double(i) * cellWidth, y: y, width: cellWidth - (cellWidth > 4 ? 1 : 0), height: rowHeight - 2,
                       fill: shade(cell.value, of: highest),
                       DataAttributes(policy: row.policy, metric: metric, [("cpu", String(cell.cpu))], value: cell.value),
                       title: "\(row.policy), CPU \(cell.cpu): \(cell.value) \(what)")
            }
        }
        // Label about 16 CPUs, whatever the machine's size.
        let every = Swift.max((columns + 15) / 16, 1)
        let bottom = c.top + rowHeight * Double(rows.count)
        for i in stride(from: 0, to: columns, by: every) {
            let cpu = rows.first { $0.values.count > i }?.values[i].cpu ?? i
            c.text(String(cpu), x: c.left + (Double(i) + 0.5) * cellWidth, y: bottom + 12, anchor: "middle")
        }
        c.text("CPU", x: (c.left + c.right) / 2, y: bottom + 28, anchor: "middle")
        // The colour scale: five swatches from zero to the largest count.
        for k in 0...4 {
            let v = highest * k / 4, x = c.left + Double(k) * 70
            c.text(String(v), x: x + 24, y: bottom + 53)
            c.swatch(x: x, y: bottom + 44, color: shade(v, of: highest), width: 20)
        }
        c.text(what, x: c.left + 5 * 70, y: bottom + 53)
        return c.svg
    }

    /// From near-white (none) to dark red (the largest count).
    static func shade(_ v: Int, of highest: Int) -> String {
        let t = highest > 0 ? Double(v) / Double(highest) : 0
        let from = (240.0, 240.0, 240.0), to = (178.0, 24.0, 43.0)
        return "#" + [(from.0, to.0), (from.1, to.1), (from.2, to.2)].map { a, b in
            let h = String(Int((a + (b - a) * t).rounded()), radix: 16)
            return h.count < 2 ? "0" + h : h
        }.joined()
    }
}
