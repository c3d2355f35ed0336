import Foundation
import XCTest
import PCPModel
import PCPRender

/// A kmem trace captured on a real 6.18 machine (fixtures/trace-6.18), replayed on the
/// machine its zoneinfo describes, against what the kernel itself emitted.
final class TraceReplayTests: XCTestCase {
    /// Lengths of the runs of refill (zone_locked percpu_refill=1) and drain events on a CPU.
    func runs(_ events: [(cpu: Int, name: String, refill: Bool)], cpu: Int) -> [(String, Int)] {
        var out: [(String, Int)] = []
        var cur = "", n = 0
        for e in events where e.cpu == cpu {
            let key = e.name == "mm_page_pcpu_drain" ? "drain" : (e.name == "mm_page_alloc_zone_locked" && e.refill ? "refill" : "")
            if key != cur {
                if !cur.isEmpty { out.append((cur, n)) }
                cur = key
                n = 0
            }
            n += 1
        }
        if !cur.isEmpty { out.append((cur, n)) }
        return out
    }

    /// The machine as the capture's /proc files describe it: zone geometry, every CPU's PCP
    /// count and high, every zone's free lists and pageblock types, PCP lists spread as the
    /// trace shows them.
    func importedMachine(_ dir: String, _ capture: String) throws -> Machine {
        let zoneinfo = Fixture.text("trace-6.18/\(dir)/zoneinfo-before.txt")
        let m = try Machine(spec: ZoneinfoImport.parse(zoneinfo))
        for st in ZoneinfoImport.pcpState(zoneinfo) {
            m.presetPCP(nid: st.nid, zone: st.zone, cpu: st.cpu, count: st.count, high: st.high, mt: MigrateType.movable.rawValue)
        }
        for a in try ZoneinfoImport.pagetypeinfo(Fixture.text("trace-6.18/\(dir)/pagetypeinfo-before.txt")) {
            m.placeBesideReserved(nid: a.nid, zone: a.zone, m.shapeFreeArea(nid: a.nid, zone: a.zone, free: a.free, blocks: a.blocks))
        }
        let starts = try TraceText.pcpListStart(capture) { pfn in
            m.zones.first { $0.isPopulated && $0.geometry.startPFN <= pfn && pfn < $0.geometry.endPFN }.map { ($0.nid, $0.type) }
        }
        for z in m.populatedZones {
            for c in 0..<m.nrCPUs {
                m.redistributePCP(nid: z.nid, zone: z.type, cpu: c,
                                  lengths: (0..<3).map { starts[TraceText.PCPListKey(cpu: c, nid: z.nid, zone: z.type, mt: $0)] })
            }
        }
        return m
    }

    func testPagetypeinfoImportRebuildsTheFreeLists() throws {
        let m = try importedMachine("faultloop-160M", "")
        let got = Pagetypeinfo.render(m.snapshot()).split(separator: "\n")
        let want = Fixture.text("trace-6.18/faultloop-160M/pagetypeinfo-before.txt").split(separator: "\n")
        XCTAssertEqual(got.count, want.count)
        // Every free-list row matches, DMA32's movable one too: that zone was wholly free, and
        // the order-4 block its fragments leave over goes among the reserved pages, which keep
        // it apart (`placeBesideReserved`). Normal's block counts differ: the capture's Normal
        // zone has hotplugged memory left offline, which zoneinfo does not tell from reserved
        // memory.
        XCTAssertTrue(want.contains { $0.contains("DMA32, type      Movable") })
        for (g, w) in zip(got, want) where !w.hasPrefix("Node 0, zone   Normal ") {
            XCTAssertEqual(g, w)
        }
        try InvariantChecker().check(m, after: "the import")
    }

    /// Replays a capture from the state before it; returns the refill and drain runs of the
    /// kernel and of the replay for every CPU, and the finished replay.
    func replay(_ dir: String) throws -> (kernel: [[(String, Int)]], sim: [[(String, Int)]], replay: TraceReplay) {
        let capture = try Fixture.gunzip("fixtures/trace-6.18/\(dir)/trace.gz")
        // The events the capture enabled: others (mm_page_alloc_extfrag) would split runs.
        let enabled = ["mm_page_alloc", "mm_page_free", "mm_page_alloc_zone_locked", "mm_page_pcpu_drain"]
        let kernelEvents = try TraceText.lines(capture)
            .filter { enabled.contains($0.event) }
            .map { (cpu: $0.cpu, name: $0.event, refill: $0.fields["percpu_refill"] == "1") }
        let m = try importedMachine(dir, capture)
        let records = try TraceText.records(capture, cpus: m.nrCPUs)
        var w: Workload = TraceReplay(records: records)
        m.setTracer(Tracer())
        let e = Engine(machine: m, seed: 1)
        var simEvents: [(cpu: Int, name: String, refill: Bool)] = []
        e.traceSink = { cpu, _, events in
            for ev in events where enabled.contains(ev.name) {
                if case let .zoneLocked(_, _, _, refill) = ev { simEvents.append((cpu, ev.name, refill)) } else { simEvents.append((cpu, ev.name, false)) }
            }
        }
        try e.run(&w, opsOrToEnd: nil)
        try e.check(after: "the replay")
        let cpus = 0..<m.nrCPUs
        return (cpus.map { runs(kernelEvents, cpu: $0) }, cpus.map { runs(simEvents, cpu: $0) }, w as! TraceReplay)
    }

    /// A refill puts a split block's pages on the PCP in address order, so a CPU is handed a
    /// block's lowest pages first (why `PageStore.slot` does not leave a block's first page to
    /// an out-of-line branch). In the kernel's 512 MiB fault loop, each order-0 page a refill
    /// takes, and each page allocated, is nearly always the one after the last; the model's
    /// refills from the fixture VM's free lists do the same.
    func testRefillsHandOutABlocksPagesInAddressOrder() throws {
        func inOrder(_ pfns: [Int]) -> Double {
            Double(zip(pfns, pfns.dropFirst()).filter { $1 == $0 + 1 }.count) / Double(max(pfns.count - 1, 1))
        }
        let lines = try TraceText.lines(Fixture.gunzip("fixtures/trace-6.18/faultloop-512M/trace.gz"))
        func pfns(_ event: String, refill: Bool) -> [Int] {
            lines.filter { $0.event == event && $0.fields["order"] == "0" && (!refill || $0.fields["percpu_refill"] == "1") }
                .map { Int($0.fields["pfn"]!.dropFirst(2), radix: 16)! }
        }
        let (kernelRefills, kernelAllocs) = (pfns("mm_page_alloc_zone_locked", refill: true), pfns("mm_page_alloc", refill: false))
        XCTAssertGreaterThan(kernelRefills.count, 100_000)
        XCTAssertGreaterThan(inOrder(kernelRefills), 0.9, "the kernel's refills")
        XCTAssertGreaterThan(inOrder(kernelAllocs), 0.9, "the kernel's allocations")

        let m = try Fixture.machine()
        let t = Tracer()
        m.setTracer(t)
        for _ in 0..<20_000 { XCTAssertNotNil(m.allocPages(cpu: 0, order: 0, kind: .anon)) }
        let simRefills = t.events.compactMap { if case let .zoneLocked(pfn, 0, _, true) = $0 { pfn } else { nil } }
        let simAllocs = t.events.compactMap { if case let .pageAlloc(pfn, 0, _, _, _) = $0 { pfn } else { nil } }
        XCTAssertGreaterThan(simRefills.count, 19_000)
        XCTAssertGreaterThan(inOrder(simRefills), 0.9, "the model's refills")
        XCTAssertGreaterThan(inOrder(simAllocs), 0.9, "the model's allocations")
    }

    /// 160 MiB of faults and an unmap on CPU 1: the alloc_factor doubling, no drain.
    func testReplayReproducesTheRefillRuns() throws {
        let (kernel, sim, replay) = try replay("faultloop-160M")
        XCTAssertTrue(replay.done)
        XCTAssertGreaterThan(replay.unknownFrees, 0, "frees of pages allocated before the capture are counted")
        XCTAssertGreaterThan(replay.unknownFreesReplayed, 0, "and give back pages the import put in use")
        // The kernel's refills on the traced CPU: alloc_factor doubling from 63 to batch << 5,
        // restarting after bursts of frees; the unmap stays under pcp->high, so no drain.
        XCTAssertEqual(kernel[1].map(\.1), [63, 126, 252, 504, 1008, 63, 126, 252, 504, 1008, 2016,
                                             63, 126, 252, 504, 1008] + Array(repeating: 2016, count: 16))
        XCTAssertEqual(kernel[1].filter { $0.0 == "drain" }.count, 0)
        // The replay reproduces them run for run, on every CPU.
        for c in kernel.indices {
            XCTAssertEqual(sim[c].map(\.0), kernel[c].map(\.0), "CPU \(c)")
            XCTAssertEqual(sim[c].map(\.1), kernel[c].map(\.1), "CPU \(c)")
        }
    }

    /// 512 MiB on CPU 1: the unmap overflows pcp->high_max, so the kernel drains in runs of
    /// 2016; a page-table allocation refills the UNMOVABLE list (2014 pages) mid-way.
    func testReplayReproducesTheDrainRuns() throws {
        let (kernel, sim, _) = try replay("faultloop-512M")
        XCTAssertEqual(kernel[1].count, 102)
        XCTAssertEqual(kernel[1].filter { $0 == ("drain", 2016) }.count, 24)
        XCTAssertEqual(kernel[1].filter { $0 == ("refill", 2014) }.count, 1)
        for c in kernel.indices {
            XCTAssertEqual(sim[c].map(\.0), kernel[c].map(\.0), "CPU \(c)")
            XCTAssertEqual(sim[c].map(\.1), kernel[c].map(\.1), "CPU \(c)")
        }
    }

    /// Without an imported state, a free of a page the trace never allocated is skipped: it
    /// must not give back a page the replay itself allocated (which the trace frees later).
    /// The run stops with the trace, so its time and throughput end there too.
    func testReplayWithoutImportSkipsUnknownFreesAndStopsAtTheEnd() throws {
        let text = """
            a-1 [000] ..... 1.000000: mm_page_alloc: page=0 pfn=0x10 order=0 migratetype=0 gfp_flags=GFP_KERNEL
            a-1 [000] ..... 1.000001: mm_page_free: page=0 pfn=0x99999 order=0
            a-1 [000] ..... 1.000002: mm_page_free: page=0 pfn=0x10 order=0
            """
        let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2, nodes: 1))
        var w: Workload = TraceReplay(records: try TraceText.records(text, cpus: m.nrCPUs))
        let e = Engine(machine: m, seed: 1)
        XCTAssertEqual(try e.run(&w, ops: 1_000), 3)
        let replay = w as! TraceReplay
        XCTAssertTrue(replay.done)
        XCTAssertEqual(replay.unknownFrees, 1)
        XCTAssertEqual(replay.unknownFreesReplayed, 0)
        XCTAssertEqual(try e.run(&w, ops: 1_000), 0, "a finished replay runs no more operations")
        try e.check(after: "the replay")
    }
}
