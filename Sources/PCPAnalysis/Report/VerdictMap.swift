/// The analysis as one self-contained HTML page: each claim's verdict and evidence, and with
/// sensitivity the verdict map (claims × conditions, one coloured cell each). No scripts, no
/// network; the same analysis gives the same bytes.
public enum VerdictMap {
    public static func render(_ judged: [(Card, [ClaimResult], [[Sensitivity.Cell]])]) -> String {
        var conditions: [String] = []
        for (_, _, cells) in judged { for c in cells.joined() where !conditions.contains(c.condition) { conditions.append(c.condition) } }
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>pcpsim analyze</title>
            <style>\(HTMLReport.css)
            .v{width:22px;height:18px;padding:0;border:1px solid #fff;font-size:10px;text-align:center}
            .CONFIRMED{background:#1a9850;color:#fff}.REFUTED{background:#d73027;color:#fff}.INCONCLUSIVE{background:#bbb;color:#222}
            .none{background:#f4f4f4}th.c{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:400;height:120px;text-align:left}
            td.claim{white-space:normal;max-width:420px}
            </style>
            </head>
            <body>
            <h1>pcpsim analyze</h1>
            <p>Each claim is CONFIRMED or REFUTED only when the 95% interval over the seeds clears its threshold; otherwise INCONCLUSIVE, with the reason.</p>

            """
        if !conditions.isEmpty {
            html += "<section>\n<h2>Verdict map</h2>\n<p>One row per claim, one column per condition: the claim's own settings, the CPU sweep (memory and operations grow with the CPUs), each cost constant at ×0.5 and ×2, each workload parameter at half and double. "
            let seeds = Set(judged.flatMap { $0.2.joined().map(\.seeds) }).sorted().map(String.init).joined(separator: "/")
            html += "The claim's own settings run on every seed; each condition on \(seeds). "
            html += "<span class=\"v CONFIRMED\">C</span> confirmed, <span class=\"v REFUTED\">R</span> refuted, <span class=\"v INCONCLUSIVE\">I</span> inconclusive, blank: not run.</p>\n"
            html += "<table id=\"verdict-map\">\n<thead><tr><th>claim</th><th class=\"c\">claim's settings</th>"
            for c in conditions { html += "<th class=\"c\">\(Escape.html(c))</th>" }
            html += "</tr></thead>\n<tbody>\n"
            for (card, results, cells) in judged {
                for (r, row) in zip(results, cells) {
                    html += "<tr><td class=\"claim\">\(Escape.html(r.claim))<br><small>\(Escape.html(card.path))</small></td>"
                    html += cell(r.verdict, r.claim, "claim's settings")
                    for c in conditions {
                        if let v = row.first(where: { $0.condition == c })?.verdict { html += cell(v, r.claim, c) } else { html += "<td class=\"v none\"></td>" }
                    }
                    html += "</tr>\n"
                }
            }
            html += "</tbody>\n</table>\n</section>\n"
        }
        for (card, results, cells) in judged {
            html += "<section>\n<h2>\(Escape.html(card.title))</h2>\n<p><small>\(Escape.html(card.path)) · \(Escape.html(card.messageID))</small></p>\n<ul>\n"
            for (r, row) in zip(results, cells) {
                html += "<li><span class=\"v \(r.verdict.rawValue)\">\(r.verdict.rawValue.prefix(1))</span> <b>\(Escape.html(r.claim))</b>"
                if !row.isEmpty { html += "<br><i>\(Escape.html(Sensitivity.summary(own: r.verdict, row)))</i>" }
                html += "<ul>" + r.evidence.map { "<li><code>\(Escape.html($0))</code></li>" }.joined() + "</ul></li>\n"
            }
            html += "</ul>\n</section>\n"
        }
        return html + "</body>\n</html>\n"
    }

    static func cell(_ v: Verdict, _ claim: String, _ condition: String) -> String {
        "<td class=\"v \(v.rawValue)\" data-verdict=\"\(v.rawValue)\" data-condition=\"\(Escape.html(condition))\" title=\"\(Escape.html(claim)) at \(Escape.html(condition)): \(v.rawValue)\">\(v.rawValue.prefix(1))</td>"
    }
}
