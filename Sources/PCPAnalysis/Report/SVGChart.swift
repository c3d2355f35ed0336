/// Linear map from data values to pixels. A flat domain is widened to one unit so nothing
/// divides by zero.
struct LinearScale {
    let lo: Double, hi: Double, from: Double, to: Double

    init(domain lo: Double, _ hi: Double, range from: Double, _ to: Double) {
        self.lo = lo
        self.hi = hi > lo ? hi : lo + 1
        self.from = from
        self.to = to
    }

    func callAsFunction(_ v: Double) -> Double { from + (v - lo) / (hi - lo) * (to - from) }
}

/// Round tick values from zero, 1, 2 or 5 × 10^k apart, about `count` of them, the last at or
/// above `max`; labels share one unit suffix and just enough decimals for the step.
struct Ticks {
    let values: [Double]
    private let divisor: Double, suffix: String, decimals: Int

    init(upTo max: Double, count: Int = 5) {
        let top = max.isFinite && max > 0 ? max : 1
        let raw = top / Double(count)
        var magnitude = 1.0
        while magnitude * 10 <= raw { magnitude *= 10 }
        while magnitude > raw { magnitude /= 10 }
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let n = Int((top / step - 1e-9).rounded(.up))
        values = (0...Swift.max(n, 1)).map { Double($0) * step }
        (divisor, suffix) = Format.unit(values.last!)
        var d = 0, s = step / divisor
        while s < 0.999, d < 12 { s *= 10; d += 1 }
        decimals = d
    }

    var top: Double { values.last! }
    func label(_ v: Double) -> String { Format.fixed(v / divisor, decimals) + suffix }
}

/// The attributes that tie a drawn mark to its number in the JSON: policy, metric key, any
/// coordinates (`data-t`, `data-cpu`, `data-sweep`), and the exact value.
struct DataAttributes {
    var policy: String, metric: String
    var coordinates: [(name: String, value: String)]
    var value: String

    init(policy: String, metric: String, _ coordinates: [(name: String, value: String)] = [], value: Double) {
        self.init(policy: policy, metric: metric, coordinates, exact: Format.exact(value))
    }

    init(policy: String, metric: String, _ coordinates: [(name: String, value: String)] = [], value: Int) {
        self.init(policy: policy, metric: metric, coordinates, exact: String(value))
    }

    private init(policy: String, metric: String, _ coordinates: [(name: String, value: String)], exact: String) {
        self.policy = policy
        self.metric = metric
        self.coordinates = coordinates
        value = exact
    }

    var rendered: String {
        var s = " data-policy=\"\(Escape.html(policy))\" data-metric=\"\(Escape.html(metric))\""
        for c in coordinates { s += " data-\(c.name)=\"\(Escape.html(c.value))\"" }
        return s + " data-value=\"\(Escape.html(value))\""
    }
}

/// One chart as an inline, well-formed <svg>: a fixed canvas, a plot area inside margins (tick
/// labels left, legend right), and drawing primitives. Data marks always carry their
/// `DataAttributes` and a <title> tooltip, so the chart reads without JavaScript.
struct SVGChart {
    /// The plot area in pixels.
    let left: Double, top: Double, right: Double, bottom: Double
    private var parts: [String] = []

    init(title: String, width: Double = 760, height: Double = 340,
         margin: (top: Double, right: Double, bottom: Double, left: Double) = (40, 170, 56, 72)) {
        left = margin.left
        top = margin.top
        right = width - margin.right
        bottom = height - margin.bottom
        parts.append("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(n(width)) \(n(height))\" "
            + "width=\"\(n(width))\" height=\"\(n(height))\" role=\"img\" aria-label=\"\(Escape.html(title))\">")
        text(title, x: left, y: 22, cls: "title")
    }

    var svg: String { (parts + ["</svg>"]).joined(separator: "\n") }

    /// Horizontal grid lines and labels for `ticks`, the y axis line, and its rotated label.
    mutating func yAxis(_ ticks: Ticks, _ y: LinearScale, label: String) {
        for v in ticks.values {
            parts.append("<line class=\"grid\" x1=\"\(n(left))\" y1=\"\(n(y(v)))\" x2=\"\(n(right))\" y2=\"\(n(y(v)))\"/>")
            text(ticks.label(v), x: left - 6, y: y(v) + 4, anchor: "end")
        }
        parts.append("<line class=\"axis\" x1=\"\(n(left))\" y1=\"\(n(top))\" x2=\"\(n(left))\" y2=\"\(n(bottom))\"/>")
        let mid = (top + bottom) / 2
        parts.append("<text transform=\"translate(16,\(n(mid))) rotate(-90)\" text-anchor=\"middle\">\(Escape.html(label))</text>")
    }

    /// The x axis line, tick marks and labels at given pixel positions, and the axis label.
    mutating func xAxis(_ ticks: [(x: Double, label: String)], label: String) {
        parts.append("<line class=\"axis\" x1=\"\(n(left))\" y1=\"\(n(bottom))\" x2=\"\(n(right))\" y2=\"\(n(bottom))\"/>")
        for t in ticks {
            parts.append("<line class=\"axis\" x1=\"\(n(t.x))\" y1=\"\(n(bottom))\" x2=\"\(n(t.x))\" y2=\"\(n(bottom + 4))\"/>")
            text(t.label, x: t.x, y: bottom + 16, anchor: "middle")
        }
        if !label.isEmpty { text(label, x: (left + right) / 2, y: bottom + 38, anchor: "middle") }
    }

    /// Colour swatches with labels, stacked in the right margin.
    mutating func legend(_ entries: [(label: String, color: String)]) {
        for (i, e) in entries.enumerated() {
            let y = top + Double(i) * 18
            swatch(x: right + 16, y: y, color: e.color)
            text(e.label, x: right + 32, y: y + 9)
        }
    }

    /// A legend colour square (not data).
    mutating func swatch(x: Double, y: Double, color: String, width w: Double = 10) {
        parts.append("<rect class=\"swatch\" x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(w))\" height=\"10\" fill=\"\(color)\"/>")
    }

    /// A data rectangle: a bar or a heat-map cell.
    mutating func rect(x: Double, y: Double, width w: Double, height h: Double, fill: String,
                       _ data: DataAttributes, title: String) {
        parts.append("<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(w))\" height=\"\(n(h))\" fill=\"\(fill)\"\(data.rendered)>"
            + "<title>\(Escape.html(title))</title></rect>")
    }

    /// A data point on a line.
    mutating func point(x: Double, y: Double, color: String, _ data: DataAttributes, title: String) {
        parts.append("<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"2\" fill=\"\(color)\"\(data.rendered)>"
            + "<title>\(Escape.html(title))</title></circle>")
    }

    /// The line joining a series' points (drawn under them).
    mutating func polyline(_ points: [(x: Double, y: Double)], color: String) {
        guard points.count > 1 else { return }
        let coords = points.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ")
        parts.append("<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(coords)\"/>")
    }

    /// A translucent band between a low and a high edge (an interval along a line).
    mutating func band(_ points: [(x: Double, low: Double, high: Double)], color: String, policy: String, metric: String) {
        let edge = points.map { "\(n($0.x)),\(n($0.high))" } + points.reversed().map { "\(n($0.x)),\(n($0.low))" }
        parts.append("<polygon class=\"band\" fill=\"\(color)\" fill-opacity=\"0.18\" stroke=\"none\" data-policy=\"\(Escape.html(policy))\" data-metric=\"\(Escape.html(metric))\" points=\"\(edge.joined(separator: " "))\"/>")
    }

    /// A vertical min–max whisker with caps.
    mutating func whisker(x: Double, from y0: Double, to y1: Double, cap: Double) {
        parts.append("<path class=\"whisker\" d=\"M\(n(x)),\(n(y0))V\(n(y1))M\(n(x - cap)),\(n(y0))h\(n(2 * cap))"
            + "M\(n(x - cap)),\(n(y1))h\(n(2 * cap))\"/>")
    }

    mutating func text(_ s: String, x: Double, y: Double, anchor: String = "start", cls: String? = nil, rotate: Bool = false) {
        let c = cls.map { " class=\"\($0)\"" } ?? ""
        let place = rotate ? "transform=\"translate(\(n(x)),\(n(y))) rotate(-90)\"" : "x=\"\(n(x))\" y=\"\(n(y))\""
        parts.append("<text \(place) text-anchor=\"\(anchor)\"\(c)>\(Escape.html(s))</text>")
    }

    /// Pixel coordinates to one decimal: enough for the eye, and short.
    private func n(_ v: Double) -> String { Format.fixed(v, 1) }
}
