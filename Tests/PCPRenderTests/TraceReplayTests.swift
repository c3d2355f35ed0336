import Foundation
import XCTest
import PCPModel
import PCPRender

/// A kmem trace captured on a real 6.18 machine (fixtures/trace-6.18), replayed on the
/// machine its zoneinfo describes, against what the kernel itself emitted.
final class TraceReplayTests: XCTestCase {
    func gunzip(_ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-dc", Fixture.root.appendingPathComponent(path).path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

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

    func testReplayReproducesTheRefillPattern() throws {
        let capture = try gunzip("fixtures/trace-6.18/faultloop-160M-cpu1.trace.gz")
        let zoneinfo = Fixture.text("trace-6.18/zoneinfo-before.txt")
        let kernelEvents = try TraceText.lines(capture)
            .filter { ["mm_page_alloc", "mm_page_free", "mm_page_alloc_zone_locked", "mm_page_pcpu_drain"].contains($0.event) }
            .map { (cpu: $0.cpu, name: $0.event, refill: $0.fields["percpu_refill"] == "1") }
        let m = try Machine(spec: ZoneinfoImport.parse(zoneinfo))
        for st in ZoneinfoImport.pcpState(zoneinfo) {
            m.presetPCP(nid: st.nid, zone: st.zone, cpu: st.cpu, count: st.count, high: st.high, mt: MigrateType.movable.rawValue)
        }
        let records = try TraceText.records(capture, cpus: m.nrCPUs)
        var w: Workload = TraceReplay(records: records)
        m.setTracer(Tracer())
        let e = Engine(machine: m, seed: 1)
        var simEvents: [(cpu: Int, name: String, refill: Bool)] = []
        e.traceSink = { cpu, _, events in
            for ev in events {
                if case let .zoneLocked(_, _, _, refill) = ev { simEvents.append((cpu, ev.name, refill)) } else { simEvents.append((cpu, ev.name, false)) }
            }
        }
        while try e.run(&w, ops: 100_000) > 0, (w as? TraceReplay)?.done == false {}
        try e.check(after: "the replay")
        let replay = w as! TraceReplay
        XCTAssertTrue(replay.done)
        XCTAssertGreaterThan(replay.unknownFrees, 0, "frees of pages allocated before the capture are counted and skipped")

        let kernel = runs(kernelEvents, cpu: 1), sim = runs(simEvents, cpu: 1)
        let doubling = [63, 126, 252, 504, 1008, 2016]
        func hasDoubling(_ r: [(String, Int)]) -> Bool {
            let sizes = r.map(\.1)
            return sizes.indices.contains { i in i + doubling.count <= sizes.count && Array(sizes[i..<(i + doubling.count)]) == doubling }
        }
        XCTAssertTrue(hasDoubling(kernel), "the capture shows alloc_factor doubling: \(kernel)")
        XCTAssertTrue(hasDoubling(sim), "the replay shows the same doubling: \(sim)")
        let kernelFull = kernel.filter { $0 == ("refill", 2016) }.count, simFull = sim.filter { $0 == ("refill", 2016) }.count
        XCTAssertEqual(kernelFull, 15)
        XCTAssertEqual(Double(simFull), Double(kernelFull), accuracy: 2, "steady-state refills of batch << 5")
        // Known deviation: the capture ends with drains of 1343 and 2016 pages that the replay
        // does not reach; see the README (which PCP lists held the zoneinfo's pages is unknown).
        XCTAssertEqual(kernel.filter { $0.0 == "drain" }.map(\.1), [1343, 2016])
    }
}
