import XCTest
import PCPModel
import PCPRender

/// The imported fixture machine prints the kernel's own numbers, and tracks its formulas
/// through knob writes.
final class FixtureValueTests: XCTestCase {
    let pinned = ["min", "low", "high", "promo", "spanned", "present", "managed", "protection", "start_pfn"]
    let pinnedPCP = ["batch", "high_min", "high_max"]

    func testZoneinfoReproducesTheCapture() throws {
        let expected = Fixture.zoneinfoFields(Fixture.text("zoneinfo.txt"))
        let got = Fixture.zoneinfoFields(Zoneinfo.render(try Fixture.machine().snapshot()))
        var checked: [String] = []
        for zone in ["DMA", "DMA32", "Normal", "Movable", "Device"] {
            for f in pinned where expected["\(zone)/\(f)"] != nil {
                XCTAssertEqual(got["\(zone)/\(f)"], expected["\(zone)/\(f)"], "\(zone) \(f)")
                checked.append("\(zone)/\(f)")
            }
            XCTAssertEqual(got["\(zone)/vm"], expected["\(zone)/vm"], "\(zone) vm stats threshold")
            for cpu in ["cpu0", "cpu1"] {
                for f in pinnedPCP where expected["\(zone)/\(cpu)/\(f)"] != nil {
                    XCTAssertEqual(got["\(zone)/\(cpu)/\(f)"], expected["\(zone)/\(cpu)/\(f)"], "\(zone) \(cpu) \(f)")
                    checked.append("\(zone)/\(cpu)/\(f)")
                }
            }
        }
        XCTAssertEqual(checked.count, 3 * 9 + 2 * 8 + 3 * 2 * 3, "\(checked)")
    }

    func testBootComputesTheTHPRecommendedMinFreeKbytes() throws {
        let m = try Fixture.machine([])
        XCTAssertEqual(m.knobs.minFreeKbytes, 67584)  // 512 pages x 3 zones x 11 x 4 KiB
        XCTAssertEqual(m.userMinFreeKbytes, -1)
    }

    /// Expected values computed by hand from the 6.18 formulas for managed DMA 3840,
    /// DMA32 772917, Normal 360448 and 2 CPUs.
    func testPercpuPagelistHighFraction() throws {
        let m = try Fixture.machine([("min_free_kbytes", "67584"), ("percpu_pagelist_high_fraction", "8")])
        let f = Fixture.zoneinfoFields(Zoneinfo.render(m.snapshot()))
        XCTAssertEqual(f["DMA/cpu0/high_min"], "240")      // 3840/8/2
        XCTAssertEqual(f["DMA/cpu0/high_max"], "240")
        XCTAssertEqual(f["DMA32/cpu1/high_min"], "48307")  // 772917/8/2
        XCTAssertEqual(f["Normal/cpu0/high_max"], "22528") // 360448/8/2
        try Fixture.write(m, "proc/sys/vm/percpu_pagelist_high_fraction", "100")
        let g = Fixture.zoneinfoFields(Zoneinfo.render(m.snapshot()))
        XCTAssertEqual(g["DMA32/cpu0/high_min"], "3864")   // 772917/100/2
        XCTAssertEqual(g["DMA/cpu0/high_min"], "19")       // 38/2 = 19 > 4 x batch 1
        XCTAssertEqual(g["Normal/cpu0/high_max"], "1802")  // 360448/100/2
        try Fixture.write(m, "proc/sys/vm/percpu_pagelist_high_fraction", "0")
        let h = Fixture.zoneinfoFields(Zoneinfo.render(m.snapshot()))
        XCTAssertEqual(h["DMA32/cpu0/high_min"], "7176")
        XCTAssertEqual(h["DMA32/cpu0/high_max"], "48307")
    }

    func testWatermarkScaleFactor() throws {
        let m = try Fixture.machine([("min_free_kbytes", "67584"), ("watermark_scale_factor", "100")])
        let f = Fixture.zoneinfoFields(Zoneinfo.render(m.snapshot()))
        // DMA32: min 11483; d = max(11483/4, 772917*100/10000 = 7729) = 7729.
        XCTAssertEqual(f["DMA32/low"], "19212")
        XCTAssertEqual(f["DMA32/high"], "26941")
        XCTAssertEqual(f["DMA32/promo"], "34670")
        // Normal: min 5355, d = max(1338, 3604); high_min follows low: 8959/2.
        XCTAssertEqual(f["Normal/low"], "8959")
        XCTAssertEqual(f["Normal/cpu1/high_min"], "4479")
        // DMA: d = max(14, 38) = 38.
        XCTAssertEqual(f["DMA/low"], "95")
    }

    func testMinFreeKbytes() throws {
        let m = try Fixture.machine([("min_free_kbytes", "10000")])
        let f = Fixture.zoneinfoFields(Zoneinfo.render(m.snapshot()))
        // pages_min 2500 split by managed over lowmem 1137205.
        XCTAssertEqual(f["DMA/min"], "8")         // 2500*3840/1137205
        XCTAssertEqual(f["DMA32/min"], "1699")    // 2500*772917/1137205
        XCTAssertEqual(f["Normal/min"], "792")    // 2500*360448/1137205
        XCTAssertEqual(f["Normal/low"], "1152")   // d = max(792 >> 2, 360448 x 10 / 10000) = 360
        XCTAssertEqual(m.userMinFreeKbytes, 10000)
    }

    func testLowmemReserveRatio() throws {
        let m = try Fixture.machine([("min_free_kbytes", "67584"), ("lowmem_reserve_ratio", "128 64 16")])
        let f = Fixture.zoneinfoFields(Zoneinfo.render(m.snapshot()))
        XCTAssertEqual(f["DMA/protection"], "protection: (0, 6038, 8854, 8854, 8854)")  // 772917/128, 1133365/128
        XCTAssertEqual(f["DMA32/protection"], "protection: (0, 0, 5632, 5632, 5632)")      // 360448/64
        XCTAssertEqual(m.knobs.lowmemReserveRatio, [128, 64, 16, 0, 0])
        // 6.18 ignores the parse result: garbage changes nothing, -1 becomes 0.
        try Fixture.write(m, "proc/sys/vm/lowmem_reserve_ratio", "abc")
        XCTAssertEqual(m.knobs.lowmemReserveRatio, [128, 64, 16, 0, 0])
        try Fixture.write(m, "proc/sys/vm/lowmem_reserve_ratio", "-1")
        XCTAssertEqual(m.knobs.lowmemReserveRatio, [0, 64, 16, 0, 0])
        XCTAssertEqual(Fixture.zoneinfoFields(Zoneinfo.render(m.snapshot()))["DMA/protection"], "protection: (0, 0, 0, 0, 0)")
    }

    func testUnusableIndexReproducesTheCapture() {
        let rows = Fixture.text("extfrag-buddyinfo.txt").split(separator: "\n")
        let expected = Fixture.text("extfrag-unusable_index.txt").split(separator: "\n")
        for (row, want) in zip(rows, expected) {
            let f = row.split(separator: " ")
            let zone = ZoneType.allCases.first { $0.name == f[3] }!
            let nrFree = f[4...].map { Int($0)! }
            XCTAssertEqual(Extfrag.unusableRow(nid: 0, zone: zone, nrFree: nrFree), want + "\n")
            XCTAssertEqual(Extfrag.extfragRow(nid: 0, zone: zone, nrFree: nrFree),
                           String(repeating: "-1.000 ", count: 11).withPrefix("Node 0, zone \(String(repeating: " ", count: 8 - zone.name.count))\(zone.name) ") + "\n")
        }
    }
}

extension String {
    func withPrefix(_ p: String) -> String { p + self }
}
