import XCTest
@testable import PCPModel

/// `--age` (issue #9 item 6): a machine brought to a server's steady state through the model's
/// own paths. The shape is compared with the lived-in 6.18 captures
/// (fixtures/lived-in-6.18/stream-full/after: free memory beside the watermarks' band rather
/// than at total, LRU file pages most of memory, little anon on the active list without swap,
/// unmovable and reclaimable pageblocks among the movable ones, few free order-9 blocks).
final class AgingTests: XCTestCase {
    /// One 4 GiB, 4-CPU machine aged 300 simulated seconds, shared by the shape tests.
    nonisolated(unsafe) static var shared: Machine?
    static func aged() throws -> Machine {
        if let m = shared { return m }
        let m = try Machine(spec: .x86(memory: 4 << 30, cpus: 4))
        try m.age(seconds: 300, seed: 1)
        shared = m
        return m
    }

    var managed: Int { get throws { try Self.aged().zones.reduce(0) { $0 + $1.managed } } }

    func testAgingKeepsEveryInvariant() throws {
        try InvariantChecker().check(try Self.aged(), after: "300 s of uptime")
    }

    /// Page cache fills memory: what is free sits on the watermarks of the zones allocations use
    /// (kswapd keeps the node balanced at some zone's high mark), never below min; DMA, kept by
    /// lowmem_reserve, stays whole as on the capture.
    func testFreeMemorySitsOnTheWatermarks() throws {
        let m = try Self.aged()
        var free = 0, high = 0
        for z in m.populatedZones where z.type != .dma {
            let f = z.pageStateExact(.nrFreePages)
            XCTAssertGreaterThanOrEqual(f, z.watermark[0], "\(z.type.name): free \(f) below min \(z.watermark[0])")
            free += f
            high += z.watermark[2]
        }
        XCTAssertLessThanOrEqual(free, 2 * high, "free \(free) pages against the high marks' \(high)")
        let normal = m.zone(nid: 0, type: .normal), f = normal.pageStateExact(.nrFreePages)
        XCTAssertLessThanOrEqual(f, normal.watermark[2] + normal.watermarkBoost, "Normal: free \(f) above high")
        XCTAssertGreaterThan(m.events[VMEvent.pgscanKswapd.rawValue], 0)
        XCTAssertEqual(m.events[VMEvent.pgstealKswapd.rawValue], m.events[VMEvent.pgscanKswapd.rawValue], "clean page cache: every scanned folio is stolen")
        XCTAssertGreaterThan(m.events[VMEvent.pageoutrun.rawValue], 0)
        XCTAssertEqual(m.events[VMEvent.oomKill.rawValue], 0)
    }

    /// The LRU: file pages are most of memory, hot files were re-read onto the active list, the
    /// long-lived processes' anon (20 %) stays inactive (no swap: never scanned, as on the
    /// capture: 43390 inactive against 289 active), unmovable slab 2 %, reclaimable slab (grown by
    /// reads, shrunk with reclaim) more than that.
    func testLRUFilePagesDominate() throws {
        let m = try Self.aged(), managed = try managed
        let file = m.lruPages(nid: 0, .inactiveFile) + m.lruPages(nid: 0, .activeFile)
        let anon = m.lruPages(nid: 0, .inactiveAnon) + m.lruPages(nid: 0, .activeAnon)
        XCTAssertGreaterThan(file, managed / 2, "file LRU \(file) of \(managed)")
        XCTAssertGreaterThan(m.lruPages(nid: 0, .activeFile), 0)
        // inactive_is_low(): kswapd deactivates while inactive x sqrt(10 x GiB) < active.
        let gib = file >> (30 - K.pageShift), ratio = gib > 0 ? intSqrt(10 * gib) : 1
        XCTAssertLessThanOrEqual(m.lruPages(nid: 0, .activeFile), m.lruPages(nid: 0, .inactiveFile) * ratio)
        XCTAssertEqual(Double(anon) / Double(managed), 0.20, accuracy: 0.02)
        XCTAssertEqual(m.lruPages(nid: 0, .activeAnon), 0)
        let reclaimable = m.nodeStats.exact(NodeStat.nrSlabReclaimable.rawValue), unreclaimable = m.nodeStats.exact(NodeStat.nrSlabUnreclaimable.rawValue)
        XCTAssertEqual(Double(unreclaimable) / Double(managed), 0.02, accuracy: 0.005)
        XCTAssertGreaterThan(reclaimable, unreclaimable, "dentries and inodes outweigh the rest, as on the capture (404 MB against 45 MB)")
        XCTAssertLessThan(reclaimable + unreclaimable, managed / 10)
        XCTAssertGreaterThan(m.nodeStats.exact(NodeStat.nrPageTablePages.rawValue), 0)
    }

    /// Fragmentation: allocations fell back to other migratetypes, unmovable and reclaimable
    /// pages sit inside movable pageblocks (and the reverse), and most free memory is in blocks
    /// below order 9.
    func testFragmentationIsRealistic() throws {
        let m = try Self.aged()
        var mixed = 0, fallbacks = 0, nonMovableBlocks = 0
        for z in m.populatedZones where z.type != .dma {
            fallbacks += z.extfragEvents
            mixed += Self.mixedPageblocks(z)
            for b in 0..<(z.pages.count >> K.pageblockOrder) where z.pageblocks[b].effectiveType != MigrateType.movable.rawValue { nonMovableBlocks += 1 }
        }
        XCTAssertGreaterThan(fallbacks, 0)
        XCTAssertGreaterThan(mixed, 0, "no pageblock holds pages of another migratetype")
        XCTAssertGreaterThan(nonMovableBlocks, 0)
        let normal = m.zone(nid: 0, type: .normal)
        XCTAssertGreaterThan(Fragmentation.unusableIndex(normal.nrFree.elements, order: K.pageblockOrder), 0)
    }

    /// Every page the long-lived processes hold can be migrated (the short-lived ones exited at
    /// the end of the uptime, so nothing is left pinned), and compaction moves them.
    func testLongLivedAnonIsMovable() throws {
        let m = try Machine(spec: .x86(memory: 1 << 30, cpus: 2))
        try m.age(seconds: 150, seed: 3)
        var anon = 0, movable = 0
        for z in m.populatedZones {
            var i = 0
            while i < z.pages.count {
                let n = z.pages.state(i) == .allocated ? 1 << z.pages.order(i) : 1
                if z.pages.state(i) == .allocated && z.pages.kind(i) == AllocKind.anon.rawValue {
                    anon += n
                    if m.isMovableFolio(z, i, order: z.pages.order(i)) { movable += n }
                }
                i += n
            }
        }
        XCTAssertGreaterThan(anon, 0)
        XCTAssertEqual(movable, anon)
        let before = m.events[VMEvent.pgmigrateSuccess.rawValue]
        try m.compactMemory(1)
        XCTAssertGreaterThan(m.events[VMEvent.pgmigrateSuccess.rawValue], before)
        try InvariantChecker().check(m, after: "compact_memory on an aged machine")
    }

    /// Same seed, same aged machine; another seed, another one.
    func testAgingIsDeterministic() throws {
        func fingerprint(_ seed: UInt64) throws -> [Int] {
            let m = try Machine(spec: .x86(memory: 512 << 20, cpus: 2))
            try m.age(seconds: 120, seed: seed)
            return m.events + m.populatedZones.flatMap { $0.nrFree.elements + [$0.extfragEvents] }
        }
        XCTAssertEqual(try fingerprint(7), try fingerprint(7))
        XCTAssertNotEqual(try fingerprint(7), try fingerprint(8))
    }

    /// watermark_boost_factor (mm/page_alloc.c boost_watermark, mm/vmscan.c balance_pgdat): on a
    /// lived-in machine, slab allocated while memory is full falls back into movable pageblocks
    /// it cannot take whole (once no free pageblock is left); each such steal raises the zone's boost by a pageblock (up to
    /// factor/10000 of high) and flags ZONE_BOOSTED_WATERMARK, which the allocation clears by waking kswapd;
    /// kswapd reclaims the boost, resets it and wakes kcompactd. With the factor at 0 nothing is
    /// boosted, and kcompactd is woken less. The boost is sampled after every operation: the
    /// kswapd the boosted allocation wakes resets it within 1 to 4 operations (39 boosts in
    /// 200 s), so sampling every 100 saw one only by chance (seed 5's at 142 s with mainline
    /// 6.19's chunked free path, none in 400 s with 6.18's one call).
    func testWatermarkBoostFactor() throws {
        func run(factor: Int) throws -> (maxBoost: Int, flagged: Bool, resets: Int, kcompactdWakes: Int, cap: Int) {
            let m = try Machine(spec: .x86(memory: 1 << 30, cpus: 2))
            // calculate_min_free_kbytes() without THP's raise (sqrt(16 x 1 GiB in KiB)): the
            // raised reserve keeps whole free pageblocks that every fallback would take whole.
            try m.setMinFreeKbytes(4096)
            try m.setWatermarkBoostFactor(factor)
            let z = m.zone(nid: 0, type: .dma32)
            var w: Workload = LivedIn(m, seed: 5)
            let e = Engine(machine: m, seed: 5)
            var maxBoost = 0, flagged = false, resets = 0, last = 0
            while e.nowNs < 200_000_000_000 {
                try e.run(&w, ops: 1)
                maxBoost = max(maxBoost, z.watermarkBoost)
                flagged = flagged || z.boostedWatermark
                if last > 0 && z.watermarkBoost == 0 { resets += 1 }
                last = z.watermarkBoost
            }
            try e.check(after: "200 s of uptime")
            return (maxBoost, flagged, resets, m.events[VMEvent.compactDaemonWake.rawValue], max(K.pageblockNrPages, multFrac(z.watermark[2], 15000, 10000)))
        }
        let boosted = try run(factor: 15000), off = try run(factor: 0)
        XCTAssertGreaterThan(boosted.maxBoost, 0)
        XCTAssertEqual(boosted.maxBoost % K.pageblockNrPages == 0 || boosted.maxBoost == boosted.cap, true, "a boost is whole pageblocks up to its cap")
        XCTAssertLessThanOrEqual(boosted.maxBoost, boosted.cap)
        XCTAssertGreaterThan(boosted.resets, 0, "kswapd never reset a boost")
        XCTAssertEqual(off.maxBoost, 0)
        XCTAssertFalse(off.flagged)
        XCTAssertEqual(off.resets, 0)
        XCTAssertGreaterThan(boosted.kcompactdWakes, off.kcompactdWakes)
    }

    /// Pageblocks holding an allocated page whose migratetype is not the block's.
    static func mixedPageblocks(_ z: Zone) -> Int {
        var mixed = 0, i = 0, block = -1
        while i < z.pages.count {
            let st = z.pages.state(i)
            let n = st == .allocated || st == .buddy || st == .pcp ? 1 << z.pages.order(i) : 1
            if st == .allocated, i >> K.pageblockOrder != block,
               let kind = AllocKind(rawValue: z.pages.kind(i)), kind.migratetype != z.blockType(i) {
                mixed += 1
                block = i >> K.pageblockOrder
            }
            i += n
        }
        return mixed
    }
}
