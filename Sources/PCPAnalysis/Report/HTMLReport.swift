/// A comparison as one self-contained HTML page: inline CSS and SVG, no scripts, no network.
/// The same input always gives the same bytes (no dates, no generated ids, fixed order), and
/// every drawn mark carries `data-policy`, `data-metric` and the exact `data-value` from the JSON.
public enum HTMLReport {
    public static func render(_ r: CompareResult) -> String {
        let colors = PolicyColors(r.policies.map(\.policy) + (r.sweep ?? []).flatMap { $0.result.policies.map(\.policy) })
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>pcpsim: \(Escape.html(r.workload))</title>
            <style>\(css)</style>
            </head>
            <body>

            """
        html += header(r)
        html += metricsTable(r)
        for figure in ReportCharts.figures(r, colors: colors) {
            html += "<section>\n<h2>\(Escape.html(figure.heading))</h2>\n<figure>\n\(figure.svg)\n"
            html += "<figcaption>\(Escape.html(figure.caption))</figcaption>\n</figure>\n</section>\n"
        }
        return html + "</body>\n</html>\n"
    }

    static func header(_ r: CompareResult) -> String {
        var rows = [
            ("Workload", r.workload), ("Machine", r.machine),
            ("Seeds", r.seeds.map(String.init).joined(separator: ", ")), ("Operations per run", String(r.ops)),
            ("Policies", r.policies.map(\.policy).joined(separator: ", ")),
        ]
        if let sweep = r.sweep {
            rows.append(("Sweep", "\(r.sweepParameter ?? "parameter") = " + sweep.map(\.value).joined(separator: ", ")))
        }
        var s = "<h1>pcpsim comparison: \(Escape.html(r.workload))</h1>\n<dl>\n"
        for (k, v) in rows { s += "<dt>\(k)</dt><dd>\(Escape.html(v))</dd>\n" }
        return s + "</dl>\n"
    }

    /// Every table metric per policy: mean [95% t interval] over the seeds, and the mean over the
    /// baseline's (the first policy) with its interval. The exact mean is in the cell's data attributes.
    static func metricsTable(_ r: CompareResult) -> String {
        var s = "<h2>Metrics</h2>\n<p>Mean [95% t interval] over \(r.seeds.count) seed(s) (no interval with one seed); ratio [95% interval] to \(Escape.html(r.policies.first?.policy ?? "the baseline")).</p>\n"
        s += "<table>\n<thead>\n<tr><th rowspan=\"2\">metric</th>"
        for p in r.policies { s += "<th colspan=\"2\">\(Escape.html(p.policy))</th>" }
        s += "</tr>\n<tr>" + String(repeating: "<th>mean [95% interval]</th><th>ratio</th>", count: r.policies.count) + "</tr>\n</thead>\n<tbody>\n"
        for (key, _) in CompareResult.metricKeys {
            s += "<tr><td>\(Escape.html(key))</td>"
            for p in r.policies {
                let m = p.summary[key] ?? CompareResult.Spread([])
                let data = DataAttributes(policy: p.policy, metric: key, value: m.mean).rendered
                let ci = m.ci95Low.flatMap { lo in m.ci95High.map { " [\(Format.short(lo)), \(Format.short($0))]" } } ?? ""
                s += "<td\(data)>\(Format.short(m.mean))\(ci)</td>"
                let rci = p.ratioInterval[key].flatMap { $0.count == 2 ? " [\(Format.fixed($0[0], 2)), \(Format.fixed($0[1], 2))]" : nil } ?? ""
                s += "<td>\(p.ratioToBaseline[key].map(Format.ratio) ?? "–")\(rci)</td>"
            }
            s += "</tr>\n"
        }
        return s + "</tbody>\n</table>\n"
    }

    static let css = """
        body{font:14px/1.45 system-ui,sans-serif;color:#222;max-width:1120px;margin:2em auto;padding:0 1em}
        h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}
        dl{display:grid;grid-template-columns:max-content auto;gap:2px 16px}dt{font-weight:600}dd{margin:0}
        table{border-collapse:collapse;font-size:12px;font-variant-numeric:tabular-nums}
        th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}
        th:first-child,td:first-child{text-align:left}thead th{background:#f4f4f4}
        figure{margin:0}figcaption{font-size:12px;color:#555;max-width:760px}
        svg{max-width:100%;height:auto}svg text{font:11px sans-serif;fill:#333}
        svg .title{font-size:13px;font-weight:600}svg .value{font-size:9px;fill:#555}
        .grid{stroke:#e6e6e6}.axis{stroke:#444}.whisker{stroke:#222;fill:none}.swatch{stroke:#bbb;stroke-width:.5}
        """
}
