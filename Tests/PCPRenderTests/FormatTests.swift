import XCTest
import PCPModel
import PCPRender

/// Every rendered file has the capture's line shapes and parses under the consumers' rules.
final class FormatTests: XCTestCase {
    /// A line with every digit run folded to "9": its shape.
    func shape(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var out = "", inDigits = false
            for c in line {
                if c.isNumber { if !inDigits { out.append("9") }; inDigits = true } else { out.append(c); inDigits = false }
            }
            return out
        }
    }

    /// Shapes without the padding that the digits' widths change.
    func looseShape(_ text: String) -> [String] {
        shape(text).map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") + ($0.hasSuffix(" ") ? " " : "") }
    }

    func testShapesMatchTheCaptures() throws {
        let s = try Fixture.machine().snapshot()
        XCTAssertEqual(looseShape(Buddyinfo.render(s)), looseShape(Fixture.text("buddyinfo.txt")))
        XCTAssertEqual(looseShape(Pagetypeinfo.render(s)), looseShape(Fixture.text("pagetypeinfo.txt")))
        XCTAssertEqual(looseShape(Zoneinfo.render(s)), looseShape(Fixture.text("zoneinfo.txt")))
        XCTAssertEqual(looseShape(Vmstat.render(s)), looseShape(Fixture.text("vmstat.txt")))
    }

    func testZoneinfoIsByteIdenticalWhereTheStateIsIdentical() throws {
        // The unpopulated zones' short form carries only formula values: it must match byte for byte.
        let got = Zoneinfo.render(try Fixture.machine().snapshot())
        let want = Fixture.text("zoneinfo.txt")
        let tail = { (t: String) in String(t[t.range(of: "Node 0, zone  Movable")!.lowerBound...]) }
        XCTAssertEqual(tail(got), tail(want))
    }

    func testDMAFreeListsMatchTheCaptureAtBoot() throws {
        // Reserved pages first, managed pages last, as on x86: the boot-time DMA zone frees into
        // the same blocks the kernel's does, so its buddyinfo row is the capture's.
        let row = { (t: String) in t.split(separator: "\n").first { $0.contains("zone      DMA ") }.map(String.init) }
        XCTAssertEqual(row(Buddyinfo.render(try Fixture.machine().snapshot())), row(Fixture.text("buddyinfo.txt")))
    }

    func testBuddyinfoParsesLikePrometheusProcfs() throws {
        let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2, nodes: 2))
        var w: Workload = RandomMix(machine: m)
        try Engine(machine: m, seed: 7).run(&w, ops: 3000)
        let text = Buddyinfo.render(m.snapshot())
        let re = try NSRegularExpression(pattern: #"^Node (\d+), zone\s+(\w+)"#)
        var rows = 0
        for line in text.split(separator: "\n") {
            let l = String(line)
            XCTAssertNotNil(re.firstMatch(in: l, range: NSRange(l.startIndex..., in: l)), l)
            XCTAssertTrue(l.hasSuffix(" "), "buddyinfo lines end with a space")
            let fields = l.split(separator: ",")[1].split(separator: " ")
            XCTAssertEqual(fields.count, 2 + 11, "zone, name and 11 orders: \(l)")
            rows += 1
        }
        XCTAssertEqual(rows, 3, "node 0: DMA, DMA32, Normal; node 1: Normal only")
        XCTAssertTrue(text.contains("Node 1, zone   Normal"))
    }

    func testVmstatCountersMatchTheModel() throws {
        let m = try Machine(spec: .x86(memory: 512 << 20, cpus: 4))
        var w: Workload = RandomMix(machine: m)
        let engine = Engine(machine: m, seed: 3)
        try engine.run(&w, ops: 5000)
        let sum = engine.totals
        let lines = Dictionary(uniqueKeysWithValues: Vmstat.render(m.snapshot()).split(separator: "\n").map {
            let f = $0.split(separator: " "); return (String(f[0]), Int(f[1])!)
        })
        XCTAssertEqual(lines.count, 192)
        XCTAssertEqual(lines["nr_unstable"], 0)
        let pgalloc = ["pgalloc_dma", "pgalloc_dma32", "pgalloc_normal", "pgalloc_movable", "pgalloc_device"].reduce(0) { $0 + lines[$1]! }
        XCTAssertEqual(pgalloc - lines["pgfree"]!, m.allocatedPages)
        XCTAssertEqual(lines["numa_hit"], sum.allocs, "one NUMA hit per allocation on a single node")
        XCTAssertEqual(lines["numa_local"], sum.allocs)
        XCTAssertGreaterThan(lines["nr_slab_unreclaimable"]!, 0, "kinds feed node stats")
    }

    func testPagetypeinfoCountsMatchBuddyinfo() throws {
        let m = try Machine(spec: .x86(memory: 512 << 20, cpus: 4))
        var w: Workload = RandomMix(machine: m)
        try Engine(machine: m, seed: 11).run(&w, ops: 5000)
        let s = m.snapshot()
        for z in s.zones where z.isPopulated {
            for o in 0...K.maxOrder {
                XCTAssertEqual(z.freeByType.reduce(0) { $0 + $1[o] }, z.nrFree[o])
            }
            XCTAssertEqual(z.blocksByType.reduce(0, +), (z.geometry.present + 511) / 512, "pageblocks walked from start_pfn")
        }
    }
}
