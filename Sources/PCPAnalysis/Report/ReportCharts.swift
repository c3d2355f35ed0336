import PCPModel

/// Which charts a comparison gets, and the numbers each draws from the CompareResult.
enum ReportCharts {
    struct Figure { var heading: String, caption: String, svg: String }

    static func figures(_ r: CompareResult, colors: PolicyColors) -> [Figure] {
        var figures = [
            Figure(heading: "Lock wait and hold time",
                   caption: "Total nanoseconds spent waiting for and holding each lock over a run: mean over the seeds, whiskers from the smallest to the largest seed.",
                   svg: lockChart(r, colors: colors)),
            Figure(heading: "zone->lock acquisitions per million pages",
                   caption: "zone->lock acquisitions per million pages allocated: mean over the seeds, whiskers min–max.",
                   svg: bars(r, metric: "zone_lock_acquisitions_per_mpage", title: "zone->lock acquisitions per million pages allocated",
                             yLabel: "acquisitions / Mpage", colors: colors)),
            Figure(heading: "PCP-held pages over time",
                   caption: "Pages held on all per-CPU lists, sampled over simulated time (first seed's run).",
                   svg: series(r, metric: "pcp_pages", title: "Pages on PCP lists", yLabel: "pages", colors: colors, \.pcpPages)),
            Figure(heading: "Free pageblocks over time",
                   caption: "Whole free pageblocks in the buddy free areas, sampled over simulated time (first seed's run).",
                   svg: series(r, metric: "free_pageblocks", title: "Free pageblocks", yLabel: "pageblocks", colors: colors, \.freePageblocks)),
            Figure(heading: "Unusable free space index at order 9 over time",
                   caption: "Share of free memory unusable for an order-9 allocation, in thousandths (0 = all usable), sampled over simulated time (first seed's run).",
                   svg: series(r, metric: "unusable_index_order9", title: "Unusable free space index, order 9",
                               yLabel: "thousandths", colors: colors, \.unusableIndexOrder9)),
            Figure(heading: "Remote frees per CPU",
                   caption: "Frees each CPU routed to another CPU's lists because that CPU owns the page (first seed's run); hover a cell for the count. Policies without ownership route nothing.",
                   svg: HeatMap.render(title: "Frees routed away from each CPU", metric: "routed_frees_out", what: "routed frees out",
                                       rows: r.policies.map { p in
                                           HeatMap.Row(policy: p.policy, values: (p.runs.first?.perCPU ?? []).map { ($0.cpu, $0.routedFreesOut) })
                                       })),
        ]
        if let sweep = r.sweep {
            let parameter = r.sweepParameter ?? "parameter"
            for (metric, _) in CompareResult.metricKeys {
                figures.append(Figure(heading: "Scaling: \(metric)",
                                      caption: "\(metric) at each value of \(parameter): mean over the seeds, the shaded band its 95% t interval (none with one seed).",
                                      svg: sweepChart(sweep, parameter: parameter, metric: metric,
                                                      title: "\(metric) vs \(parameter)", yLabel: metric, colors: colors)))
            }
        }
        return figures
    }

    /// Four groups (zone->lock wait and hold, pcp->lock wait and hold), one bar per policy.
    static func lockChart(_ r: CompareResult, colors: PolicyColors) -> String {
        let metrics = [
            ("locks.zone.wait_ns_total", "zone->lock wait"), ("locks.zone.hold_ns_total", "zone->lock hold"),
            ("locks.pcp.wait_ns_total", "pcp->lock wait"), ("locks.pcp.hold_ns_total", "pcp->lock hold"),
        ]
        let groups = metrics.map { key, label in
            BarChart.Group(label: label, bars: r.policies.map { BarChart.Bar(policy: $0.policy, metric: key, spread: spread($0, key)) })
        }
        return BarChart.render(title: "Lock wait and hold time per run", yLabel: "ns", groups: groups, colors: colors)
    }

    /// One bar per policy for one table metric.
    static func bars(_ r: CompareResult, metric: String, title: String, yLabel: String, colors: PolicyColors) -> String {
        let groups = r.policies.map {
            BarChart.Group(label: $0.policy, bars: [BarChart.Bar(policy: $0.policy, metric: metric, spread: spread($0, metric))])
        }
        return BarChart.render(title: title, yLabel: yLabel, groups: groups, colors: colors)
    }

    /// One line per policy through the first seed's samples of one series field.
    static func series(_ r: CompareResult, metric: String, title: String, yLabel: String, colors: PolicyColors,
                       _ field: KeyPath<Engine.Sample, Int>) -> String {
        let lines = r.policies.map { p in
            LineChart.Line(policy: p.policy, points: (p.runs.first?.series ?? []).map { s in
                let v = s[keyPath: field]
                return LineChart.Point(x: s.simSeconds, y: Double(v),
                                       data: DataAttributes(policy: p.policy, metric: metric, [("t", Format.exact(s.simSeconds))], value: v),
                                       title: "\(p.policy) at \(Format.short(s.simSeconds)) s: \(v)")
            })
        }
        return LineChart.render(title: title, yLabel: yLabel, x: .linear(label: "simulated seconds"), lines: lines, colors: colors)
    }

    /// One line per policy across the sweep values, in sweep order, through one metric's means.
    static func sweepChart(_ sweep: [CompareResult.SweepPoint], parameter: String, metric: String, title: String,
                           yLabel: String, colors: PolicyColors) -> String {
        let present = Set(sweep.flatMap { $0.result.policies.map(\.policy) })
        let lines = colors.policies.filter(present.contains).map { name in
            LineChart.Line(policy: name, points: sweep.enumerated().compactMap { i, point in
                guard let p = point.result.policies.first(where: { $0.policy == name }) else { return nil }
                let s = spread(p, metric)
                let ci = s.ci95Low.flatMap { lo in s.ci95High.map { " [\(Format.short(lo)), \(Format.short($0))]" } } ?? ""
                return LineChart.Point(x: Double(i), y: s.mean,
                                       data: DataAttributes(policy: name, metric: metric, [("sweep", point.value)], value: s.mean),
                                       title: "\(name) at \(parameter) = \(point.value): \(Format.short(s.mean))\(ci)")
            }, band: sweep.enumerated().compactMap { i, point in
                guard let p = point.result.policies.first(where: { $0.policy == name }), let lo = p.summary[metric]?.ci95Low,
                      let hi = p.summary[metric]?.ci95High else { return nil }
                return (Double(i), lo, hi)
            }, metric: metric)
        }
        return LineChart.render(title: title, yLabel: yLabel, x: .categories(sweep.map(\.value), label: parameter),
                                lines: lines, colors: colors)
    }

    private static func spread(_ p: CompareResult.PolicyResult, _ key: String) -> CompareResult.Spread {
        p.summary[key] ?? CompareResult.Spread([])
    }
}
