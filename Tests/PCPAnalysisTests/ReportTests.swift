import XCTest
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import PCPModel
@testable import PCPAnalysis

/// The HTML report checked against the CompareResult it draws: every mark's data attributes,
/// well-formed SVG, no network references, stable bytes, escaping.
final class ReportTests: XCTestCase {
    static let policies: [Policy] = [.baseline, .pcpBuddy]
    static let cpus = 4
    /// Runs the real model once for all tests: two policies, two seeds.
    static let fixture = Result { try compare(ops: 20000, seeds: [1, 2]) }

    static func compare(ops: Int, seeds: [UInt64]) throws -> CompareResult {
        var runs: [(policy: String, runs: [RunMetrics])] = []
        for p in policies {
            var rs: [RunMetrics] = []
            for seed in seeds {
                let m = try Machine(spec: .x86(memory: 256 << 20, cpus: cpus))
                m.setPolicy(p)
                var w: Workload = RandomMix(machine: m)
                let e = Engine(machine: m, seed: seed)
                e.sampleEvery = 1_000_000_000
                _ = try e.run(&w, ops: ops)
                rs.append(e.metrics(policy: p.rawValue, workload: "random", seed: seed))
            }
            runs.append((p.rawValue, rs))
        }
        return CompareResult(workload: "random", machine: "\(cpus) CPUs, 256M", seeds: seeds, ops: ops, runs: runs)
    }

    func testLockBarsCarryTheJSONMeans() throws {
        let r = try Self.fixture.get()
        let marks = try Marks(svgsOf: HTMLReport.render(r))
        for key in ["locks.zone.wait_ns_total", "locks.zone.hold_ns_total", "locks.pcp.wait_ns_total", "locks.pcp.hold_ns_total",
                    "zone_lock_acquisitions_per_mpage"] {
            let bars = marks.all("rect", metric: key)
            XCTAssertEqual(bars.count, r.policies.count, key)
            for p in r.policies {
                let mean = try XCTUnwrap(p.summary[key]).mean
                let bar = try XCTUnwrap(bars.first { $0["data-policy"] == p.policy }, "\(key) \(p.policy)")
                XCTAssertEqual(bar["data-value"], mean.description, "\(key) \(p.policy)")
                XCTAssertEqual(Double(bar["data-value"] ?? ""), mean)
            }
        }
        XCTAssertGreaterThan(r.policies[0].summary["locks.zone.wait_ns_total"]!.mean, 0, "the fixture should contend")
    }

    func testSeriesPointsAreTheFirstRunsSamples() throws {
        let r = try Self.fixture.get()
        let marks = try Marks(svgsOf: HTMLReport.render(r))
        let fields: [(String, KeyPath<Engine.Sample, Int>)] = [
            ("pcp_pages", \.pcpPages), ("free_pageblocks", \.freePageblocks), ("unusable_index_order9", \.unusableIndexOrder9),
        ]
        for (metric, field) in fields {
            for p in r.policies {
                let series = p.runs[0].series
                XCTAssertGreaterThan(series.count, 2, "the fixture should sample a few times")
                let points = marks.all("circle", metric: metric).filter { $0["data-policy"] == p.policy }
                XCTAssertEqual(points.count, series.count, "\(metric) \(p.policy)")
                for (point, sample) in zip(points, series) {
                    XCTAssertEqual(point["data-t"], sample.simSeconds.description)
                    XCTAssertEqual(point["data-value"], String(sample[keyPath: field]))
                }
            }
        }
    }

    func testHeatCellsAreRoutedFreesOut() throws {
        let r = try Self.fixture.get()
        let cells = try Marks(svgsOf: HTMLReport.render(r)).all("rect", metric: "routed_frees_out")
        XCTAssertEqual(cells.count, r.policies.count * Self.cpus)
        for p in r.policies {
            for cpu in p.runs[0].perCPU {
                let cell = try XCTUnwrap(cells.first { $0["data-policy"] == p.policy && $0["data-cpu"] == String(cpu.cpu) })
                XCTAssertEqual(cell["data-value"], String(cpu.routedFreesOut))
            }
        }
        let routed = r.policies[1].runs[0].perCPU.reduce(0) { $0 + $1.routedFreesOut }
        XCTAssertGreaterThan(routed, 0, "pcp-buddy should route some frees to their owners")
    }

    func testTableHasEveryMetricMean() throws {
        let r = try Self.fixture.get()
        let table = try XCTUnwrap(blocks("table", in: HTMLReport.render(r)).first)
        let cells = try Marks(xml: [table]).marks
        XCTAssertEqual(cells.count, CompareResult.metricKeys.count * r.policies.count)
        for (key, _) in CompareResult.metricKeys {
            for p in r.policies {
                let cell = cells.first { $0["data-metric"] == key && $0["data-policy"] == p.policy }
                XCTAssertEqual(cell?["data-value"], p.summary[key]?.mean.description, "\(key) \(p.policy)")
            }
        }
    }

    func testSelfContained() throws {
        let html = HTMLReport.render(try Self.fixture.get())
        XCTAssertEqual(blocks("svg", in: html).count, 6)
        let rest = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        XCTAssertFalse(rest.contains("http://"))
        XCTAssertFalse(rest.contains("https://"))
        for forbidden in ["<script", "<link", "<img", "url(", "@import"] { XCTAssertFalse(html.contains(forbidden), forbidden) }
    }

    func testSameInputSameBytes() throws {
        let r = try Self.fixture.get()
        let html = HTMLReport.render(r)
        XCTAssertEqual(html, HTMLReport.render(r))
        // Through JSON, as `pcpsim compare --json` output arrives: dictionaries rebuilt in another
        // order. A baseline with no pcp->lock wait makes an infinite ratio, hence the strategies.
        let encoder = JSONEncoder(), decoder = JSONDecoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let decoded = try decoder.decode(CompareResult.self, from: encoder.encode(r))
        XCTAssertEqual(decoded, r)
        XCTAssertEqual(html, HTMLReport.render(decoded))
    }

    func testUserTextIsEscaped() throws {
        var r = try Self.fixture.get()
        r.workload = "<b>mix</b> & \"friends\" 'x'"
        r.machine = "4 CPUs <256M>"
        let odd = "pcp<buddy> & \"co\""
        r.policies[1].policy = odd
        let html = HTMLReport.render(r)
        XCTAssertFalse(html.contains("<b>mix"))
        XCTAssertFalse(html.contains("<256M>"))
        XCTAssertFalse(html.contains(odd))
        XCTAssertTrue(html.contains("&lt;b&gt;mix&lt;/b&gt; &amp; &quot;friends&quot; &#39;x&#39;"))
        // Every SVG still parses, and attributes read back as the original name.
        let bars = try Marks(svgsOf: html).all("rect", metric: "locks.zone.wait_ns_total")
        XCTAssertEqual(bars.map { $0["data-policy"] }, ["baseline", odd])
    }

    func testSweepDrawsOnePointPerValue() throws {
        var r = try Self.fixture.get()
        r.sweepParameter = "ops"
        r.sweep = [.init(value: "10000", result: try Self.compare(ops: 10000, seeds: [1, 2])), .init(value: "20000", result: r)]
        let html = HTMLReport.render(r)
        XCTAssertEqual(blocks("svg", in: html).count, 6 + CompareResult.metricKeys.count, "one scaling chart per metric")
        let marks = try Marks(svgsOf: html)
        for metric in ["locks.zone.wait_ns_total", "throughput_pages_per_sim_s"] {
            let points = marks.all("circle", metric: metric)
            XCTAssertEqual(points.count, 2 * Self.policies.count, metric)
            for p in Self.policies.map(\.rawValue) {
                let line = points.filter { $0["data-policy"] == p }
                XCTAssertEqual(line.map { $0["data-sweep"] }, ["10000", "20000"])
                let means = r.sweep!.map { $0.result.policies.first { $0.policy == p }?.summary[metric]?.mean.description }
                XCTAssertEqual(line.map { $0["data-value"] }, means, "\(metric) \(p)")
            }
            // Each policy's interval band, where its seeds spread.
            let bands = marks.all("polygon", metric: metric)
            for b in bands {
                let policy = try XCTUnwrap(b["data-policy"])
                let spreads = r.sweep!.compactMap { $0.result.policies.first { $0.policy == policy }?.summary[metric] }
                XCTAssertTrue(spreads.allSatisfy { $0.ci95Low != nil }, "\(metric) \(policy)")
            }
        }
        XCTAssertTrue(html.contains("<polygon class=\"band\""))
    }

    func testNumberFormats() {
        XCTAssertEqual(Format.fixed(3.14159, 2), "3.14")
        XCTAssertEqual(Format.fixed(-0.04, 1), "0.0")
        XCTAssertEqual(Format.fixed(0.5, 3), "0.500")
        XCTAssertEqual(Format.short(1_234_567), "1.23M")
        XCTAssertEqual(Format.short(42), "42")
        XCTAssertEqual(Format.short(0.0123), "0.0123")
        XCTAssertEqual(Format.ratio(.infinity), "∞×")
        let small = Ticks(upTo: 0.0123)
        XCTAssertEqual(small.values.map(small.label), ["0.000", "0.005", "0.010", "0.015"])
        let big = Ticks(upTo: 4_300_000)
        XCTAssertEqual(big.values.map(big.label), ["0M", "1M", "2M", "3M", "4M", "5M"])
    }
}

/// The `<name …>…</name>` blocks of a page, in order.
private func blocks(_ name: String, in html: String) -> [String] {
    var out: [String] = []
    var rest = html[...]
    while let start = rest.range(of: "<\(name)"), let end = rest[start.upperBound...].range(of: "</\(name)>") {
        out.append(String(rest[start.lowerBound..<end.upperBound]))
        rest = rest[end.upperBound...]
    }
    return out
}

/// The data marks (elements with `data-metric`) of XML blocks, read with XMLParser so a malformed
/// block fails the test.
private struct Marks {
    struct Mark {
        var element: String
        var attributes: [String: String]
        subscript(_ name: String) -> String? { attributes[name] }
    }

    struct Malformed: Error { var reason: String }

    var marks: [Mark] = []

    init(svgsOf html: String) throws { try self.init(xml: blocks("svg", in: html)) }

    init(xml: [String]) throws {
        for block in xml {
            let collector = Collector()
            let parser = XMLParser(data: Data(block.utf8))
            parser.delegate = collector
            guard parser.parse() else {
                throw Malformed(reason: "\(parser.parserError.map(String.init(describing:)) ?? "?") at line \(parser.lineNumber)")
            }
            marks += collector.marks
        }
    }

    func all(_ element: String, metric: String) -> [Mark] {
        marks.filter { $0.element == element && $0["data-metric"] == metric }
    }
}

private final class Collector: NSObject, XMLParserDelegate {
    var marks: [Marks.Mark] = []

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if attributes["data-metric"] != nil { marks.append(.init(element: name, attributes: attributes)) }
    }
}
