import XCTest
@testable import PCPModel
import PCPRender

/// Compaction and migration on a fragmented anonymous region (fragment.c's recipe).
final class CompactionTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A machine like the capture's (its zoneinfo geometry and CPUs), `mib` MiB mapped and every
    /// other page freed.
    func fragmented(mib: Int, zoneinfo: String? = nil, knobs: [(Machine) throws -> Void] = []) throws -> (Machine, Engine, Workload) {
        let m: Machine
        if let zoneinfo {
            let text = try String(contentsOf: Self.root.appendingPathComponent("fixtures/lived-in-6.18/\(zoneinfo)"), encoding: .utf8)
            m = try Machine(spec: ZoneinfoImport.parse(text))
        } else {
            m = try Machine(spec: .x86(memory: 2 << 30, cpus: 2))
        }
        for k in knobs { try k(m) }
        var w = try Workloads.make("fragment", machine: m, params: ["mib": "\(mib)"])
        let e = Engine(machine: m, seed: 1)
        try e.run(&w, ops: 100_000_000)
        return (m, e, w)
    }

    func event(_ m: Machine, _ e: VMEvent) -> Int { m.events[e.rawValue] }

    /// fixtures/lived-in-6.18/compact: 8 GiB mapped, every other page freed, then
    /// `echo 1 > compact_memory`. The kernel's figures for the compaction window (README of the
    /// fixtures, `proc-samples --between 23442.812 24652.304`): pgmigrate_success +375189,
    /// compact_isolated +750638, compact_migrate_scanned +2087423, compact_free_scanned +866839,
    /// Normal's order-0 blocks -310083, its pages free at order >= 9 +5.3 %, no stall.
    func testCompactMemoryMovesLikeTheKernel() throws {
        let (m, e, w) = try fragmented(mib: 8192, zoneinfo: "compact/before/zoneinfo")
        let z = m.zones.first { $0.isPopulated && $0.type == .normal }!
        let high = { z.nrFree[9] * 512 + z.nrFree[10] * 1024 }
        let order0 = z.nrFree[0], high0 = high(), allocated = m.allocatedPages
        try m.compactMemory(1)
        let migrated = event(m, .pgmigrateSuccess)
        XCTAssertEqual(Double(migrated), 375189, accuracy: 375189 * 0.25)
        XCTAssertEqual(Double(event(m, .compactIsolated)), 750638, accuracy: 750638 * 0.25)
        XCTAssertEqual(Double(event(m, .compactIsolated)), Double(2 * migrated), accuracy: Double(migrated) * 0.02, "both sides isolated")
        XCTAssertEqual(Double(event(m, .compactMigrateScanned)), 2087423, accuracy: 2087423 * 0.25)
        // The free scanner reads more here (3.1 M): the model has no fast_isolate_freepages.
        XCTAssertGreaterThan(event(m, .compactFreeScanned), 866839 / 2)
        XCTAssertLessThan(event(m, .compactFreeScanned), 866839 * 4)
        XCTAssertEqual(event(m, .pgmigrateFail), 0)
        XCTAssertEqual(event(m, .compactStall) + event(m, .compactSuccess) + event(m, .compactFail), 0, "a manual compaction is no stall")
        let gain = Double(high() - high0) / Double(high0)
        XCTAssertGreaterThan(gain, 0.053 / 2)
        XCTAssertLessThan(gain, 0.053 * 2)
        let drop = order0 - z.nrFree[0]
        XCTAssertGreaterThan(drop, 310083 / 2)
        XCTAssertLessThan(drop, 310083 * 2)
        // Migration never loses or duplicates a page: the same pages are allocated, every page
        // is in exactly one place, and the region's slots name distinct allocated LRU pages.
        XCTAssertEqual(m.allocatedPages, allocated)
        try e.check(after: "compact_memory")
        let region = (w as! FragmentRegion).region
        var seen = Set<PageRef>()
        for case let r? in region.slots {
            XCTAssertTrue(seen.insert(r).inserted)
            XCTAssertTrue(m.isLRUFolio(pfn: m.pfn(of: r)))
        }
        XCTAssertEqual(seen.count, 8192 << 7)
    }

    /// A proactiveness of 0 leaves kcompactd alone; 100 (low mark 5) has it compact the
    /// fragmented machine down to its mark within a few 500 ms rounds.
    func testCompactionProactiveness() throws {
        var scores: [Int] = []
        for p in [0, 100] {
            let (m, _, _) = try fragmented(mib: 1024, knobs: [{ try $0.setCompactionProactiveness(p) }])
            let before = m.fragmentationScore(nid: 0)
            m.advanceTime(to: m.now + 3_000_000_000)
            scores.append(m.fragmentationScore(nid: 0))
            XCTAssertGreaterThan(before, 15)
            if p == 0 { XCTAssertEqual(event(m, .compactDaemonMigrateScanned), 0) }
        }
        XCTAssertLessThan(scores[1], scores[0] - 5)
    }
}

extension CompactionTests {
    func thpRun(enabled: THPMode, defrag: THPDefrag, madvise: Bool, knobs: [(Machine) throws -> Void] = []) throws -> Machine {
        let m = try Machine(spec: .x86(memory: 2 << 30, cpus: 2))
        m.setTHP(enabled)
        m.setTHPDefrag(defrag)
        for k in knobs { try k(m) }
        var w = try Workloads.make("fragment", machine: m, params: ["mib": "1880", "thps": "200", "madvise": madvise ? "1" : "0"])
        let e = Engine(machine: m, seed: 1)
        try e.run(&w, ops: 100_000_000)
        return m
    }

    /// fixtures/lived-in-6.18/thp-defrag, scaled to 2 GiB: memory full, every other page of the
    /// region free, then THP faults. The kernel: `always` on a plain region 512 THPs, 0
    /// fallbacks, 397 stalls (396 succeeded); `madvise` on a plain region 208 / 304, no stall;
    /// a MADV_HUGEPAGE region under madvise/madvise 505 / 7 with 174 stalls.
    func testTHPDefragSplitFollowsTheKernel() throws {
        let always = try thpRun(enabled: .always, defrag: .always, madvise: false)
        XCTAssertEqual(event(always, .thpFaultAlloc), 200)
        XCTAssertEqual(event(always, .thpFaultFallback), 0)
        XCTAssertGreaterThan(event(always, .compactStall), 200 / 3)
        XCTAssertGreaterThanOrEqual(Double(event(always, .compactSuccess)), Double(event(always, .compactStall)) * 0.95)
        XCTAssertGreaterThan(always.psiMemory.total(0), 0, "direct compaction stalls show in PSI")
        try InvariantChecker().check(always, after: "THP faults with direct compaction")

        let madvise = try thpRun(enabled: .always, defrag: .madvise, madvise: false)
        XCTAssertEqual(event(madvise, .compactStall), 0)
        XCTAssertEqual(madvise.psiMemory.total(0), 0)
        let share = Double(event(madvise, .thpFaultFallback)) / 200
        XCTAssertGreaterThan(share, 0.3, "kernel: 304 of 512 fell back")
        XCTAssertLessThan(share, 0.9)

        let madvised = try thpRun(enabled: .madvise, defrag: .madvise, madvise: true)
        XCTAssertGreaterThan(event(madvised, .compactStall), 0)
        XCTAssertLessThanOrEqual(event(madvised, .thpFaultFallback), 10, "kernel: 7 of 512")

        let plain = try thpRun(enabled: .madvise, defrag: .always, madvise: false)
        XCTAssertEqual(event(plain, .thpFaultAlloc) + event(plain, .thpFaultFallback), 0, "enabled=madvise: a plain VMA never tries")
    }

    /// extfrag_threshold 1000: compaction_suitable() calls every failure a lack of memory, so
    /// a NORETRY THP fault gives up at once (skipped: no stall) and falls back.
    func testExtfragThreshold() throws {
        let m = try thpRun(enabled: .always, defrag: .always, madvise: false, knobs: [{ try $0.setExtfragThreshold(1000) }])
        XCTAssertEqual(event(m, .compactStall), 0)
        XCTAssertGreaterThan(event(m, .thpFaultFallback), 100)
    }
}

extension CompactionTests {
    /// alloc_contig_range() migrates the page cache folios out of its range (each file's slots
    /// follow them) and takes the range; the file stays cached and readable.
    func testContigRangeMigratesPageCache() throws {
        let m = try Machine(spec: .x86(memory: 512 << 20, cpus: 2))
        let file = m.createFile(pages: 16384)
        for off in 0..<16384 { _ = m.fileAccess(cpu: 0, file: file, offset: off) }
        XCTAssertEqual(m.fileCachedPages(file), 16384)
        let z = m.zones.first { $0.isPopulated && $0.type == .dma32 }!
        // The pageblock holding the file's page 5000.
        guard case .hit = m.fileAccess(cpu: 0, file: file, offset: 5000) else { return XCTFail("not cached") }
        let pfn = Int(m.pageCache.files[file].slots[5000]) - 1
        let start = pfn & ~(K.pageblockNrPages - 1)
        let (r, taken) = m.allocContigRange(cpu: 0, zone: z.id, startPFN: start, order: K.pageblockOrder, kind: .kernel)
        XCTAssertTrue(r.success, "\(r)")
        XCTAssertGreaterThan(event(m, .pgmigrateSuccess), 0)
        XCTAssertEqual(m.fileCachedPages(file), 16384)
        let moved = Int(m.pageCache.files[file].slots[5000]) - 1
        XCTAssertFalse((start..<(start + K.pageblockNrPages)).contains(moved), "the folio left the range")
        XCTAssertTrue(m.isLRUFolio(pfn: moved))
        try InvariantChecker().check(m, after: "alloc_contig_range")
        for t in taken { try m.freePages(cpu: 0, t, order: K.pageblockOrder) }
        try InvariantChecker().check(m, after: "freeing the range")
    }
}
