import XCTest
@testable import PCPModel

/// alloc_contig_range() on pages workloads hold: held anonymous folios migrate and the holder's
/// references follow them; pinned ones stay and fail the range; and the contig_pcp choices for
/// free pages of the range that sit on a PCP.
final class ContigMigrationTests: XCTestCase {
    /// `n` order-0 anonymous pages on `cpu`, held; the page at `pinnedAt` long-term pinned.
    func hold(_ m: Machine, cpu: Int, _ n: Int, pinnedAt: Int? = nil) -> HeldBlocks {
        var held = HeldBlocks()
        for k in 0..<n { _ = m.allocOp(cpu: cpu, order: 0, kind: .anon, pinned: k == pinnedAt, into: &held) }
        return held
    }

    /// The pageblock holding `r`, and its zone.
    func block(_ m: Machine, _ r: PageRef) -> (Zone, Int) {
        (m.zones[Int(r.zone)], m.pfn(of: r) & ~(K.pageblockNrPages - 1))
    }

    func testHeldAnonPagesMigrateAndTheirHolderFollows() throws {
        let m = try Machine(spec: .x86(memory: 512 << 20, cpus: 2))
        var held = hold(m, cpu: 0, 4000)
        let (z, start) = block(m, held.refs[1000])
        let range = start..<(start + K.pageblockNrPages)
        let before = held.refs.filter { range.contains(m.pfn(of: $0)) }.count
        XCTAssertGreaterThan(before, 100, "the block holds many of the held pages")
        let (r, taken) = m.allocContigRange(cpu: 0, zone: z.id, startPFN: start, order: K.pageblockOrder, kind: .kernel)
        XCTAssertTrue(r.success, "\(r)")
        XCTAssertEqual(m.events[VMEvent.pgmigrateSuccess.rawValue], before)
        // Every reference names an allocated anonymous folio outside the range, each a different one.
        XCTAssertEqual(Set(held.refs).count, 4000)
        for ref in held.refs {
            XCTAssertFalse(range.contains(m.pfn(of: ref)))
            XCTAssertEqual(m.zones[Int(ref.zone)].pages.allocatedHeadKind(Int(ref.index), order: 0), .anon)
        }
        try InvariantChecker().check(m, after: "alloc_contig_range")
        // The holder frees what it holds through the moved references, in any order.
        while held.count > 0 {
            let (ref, o) = held.swapRemove(held.count / 2)
            try m.freePages(cpu: 1, ref, order: o)
        }
        for t in taken { try m.freePages(cpu: 0, t, order: K.pageblockOrder) }
        try InvariantChecker().check(m, after: "freeing everything")
    }

    /// alloc_contig_range migrates a THP too (cc->alloc_contig skips compaction's order check).
    func testHeldTHPMigratesOutOfTheRange() throws {
        let m = try Machine(spec: .x86(memory: 512 << 20, cpus: 2))
        var held = HeldBlocks()
        _ = m.allocOp(cpu: 0, order: K.hpagePMDOrder, kind: .thp, into: &held)
        let (z, start) = block(m, held.refs[0])
        let (r, _) = m.allocContigRange(cpu: 0, zone: z.id, startPFN: start, order: K.pageblockOrder, kind: .kernel)
        XCTAssertTrue(r.success, "\(r)")
        XCTAssertNotEqual(m.pfn(of: held.refs[0]) & ~(K.pageblockNrPages - 1), start)
        XCTAssertTrue(m.zones[Int(held.refs[0].zone)].pages.isHead(Int(held.refs[0].index), .allocated, order: K.hpagePMDOrder))
        try InvariantChecker().check(m, after: "a THP migrated by alloc_contig_range")
    }

    func testPinnedPageFailsTheRange() throws {
        let m = try Machine(spec: .x86(memory: 512 << 20, cpus: 2))
        let held = hold(m, cpu: 0, 4000, pinnedAt: 1000)
        let (z, start) = block(m, held.refs[1000])
        let (r, taken) = m.allocContigRange(cpu: 0, zone: z.id, startPFN: start, order: K.pageblockOrder, kind: .kernel)
        XCTAssertFalse(r.success)
        XCTAssertEqual(r.pagesInUse, 1, "only the pinned page stays")
        XCTAssertEqual(r.unmovableBlocks, 0, "a pinned anonymous page does not stop isolation, only migration")
        XCTAssertTrue(taken.isEmpty)
        XCTAssertEqual(m.pfn(of: held.refs[1000]) & ~(K.pageblockNrPages - 1), start)
        try InvariantChecker().check(m, after: "a failed alloc_contig_range")
    }

    /// Under block-economy a drain keeps the pieces of owned blocks on their PCP, so 6.18's
    /// drain_all_pages leaves the range's free pages stranded; zone_pcp_disable and
    /// isolation that takes pages off PCPs both get the range, and only the latter leaves the
    /// other PCP pages where they were.
    func testContigPCPChoicesUnderBlockEconomy() throws {
        func attempt(_ mode: PCPBuddyOptions.ContigPCP) throws -> (ContigResult, otherPCPPages: Int, before: Int) {
            let m = try Machine(spec: .x86(memory: 512 << 20, cpus: 2))
            m.setPolicy(.blockEconomy)
            m.setContigPCP(mode)
            // A whole block A allocated and 88 pages of a second block B; B's other pages sit
            // free in CPU 1's buddy area.
            var held = hold(m, cpu: 1, 600)
            let (z, start) = block(m, held.refs[0])
            // Frees come home to CPU 1's buddy area: 100 free pieces of block A sit on its PCP.
            for _ in 0..<100 {
                let (ref, o) = held.swapRemove(held.refs.firstIndex { block(m, $0).1 == start }!)
                try m.freePages(cpu: 1, ref, order: o)
            }
            let range = z.index(start)..<(z.index(start) + K.pageblockNrPages)
            let outside = { z.pcp[1].count - range.reduce(0) { $0 + (z.pages.isHead($1, .pcp, order: z.pages.order($1)) ? 1 << z.pages.order($1) : 0) } }
            let before = outside()
            let (r, _) = m.allocContigRange(cpu: 0, zone: z.id, startPFN: start, order: K.pageblockOrder, kind: .kernel)
            try InvariantChecker().check(m, after: "alloc_contig_range with \(mode)")
            return (r, outside(), before)
        }
        let drain = try attempt(.drainAll)
        XCTAssertFalse(drain.0.success)
        XCTAssertGreaterThan(drain.0.pagesStrandedOnPCP, 0)
        let disable = try attempt(.pcpDisable)
        XCTAssertTrue(disable.0.success, "\(disable.0)")
        XCTAssertEqual(disable.otherPCPPages, 0, "zone_pcp_disable empties every PCP")
        let take = try attempt(.takeFromPCP)
        XCTAssertTrue(take.0.success, "\(take.0)")
        XCTAssertGreaterThan(take.before, 0)
        XCTAssertEqual(take.otherPCPPages, take.before, "take-from-pcp moves only the range's pages")
    }
}
