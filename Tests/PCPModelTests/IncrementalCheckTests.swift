import XCTest
@testable import PCPModel

/// `--check` checks every operation incrementally (what it touched, and the counters against
/// the lists) with full scans in between: it must still catch real corruption at the step
/// that caused it, naming the page, and find nothing on healthy runs of every design.
final class IncrementalCheckTests: XCTestCase {
    /// A machine after 3,000 checked operations, its engine, and its largest zone (DMA32).
    private func runMachine() throws -> (Machine, Engine, Zone) {
        let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2))
        var w = try Workloads.make("random", machine: m)
        let e = Engine(machine: m, seed: 3, checkEvery: 1)
        try e.run(&w, ops: 3000)
        e.checker.scanCredit = 0 // the next check is incremental, not a full scan
        return (m, e, m.zones.filter(\.isPopulated).max { $0.managed < $1.managed }!)
    }

    /// A free block of order `order` (the head of the first non-empty free list), and its type.
    private func freeBlock(_ z: Zone, order: Int) -> (Int, Int)? {
        for mt in 0..<MigrateType.pcpTypes where !z.lists.isEmpty(Zone.freeList(order, mt)) {
            return (Int(z.lists.head[Zone.freeList(order, mt)]), mt)
        }
        return nil
    }

    private func violation(_ m: Machine, _ e: Engine) -> InvariantViolation? {
        do { try e.checker.checkOperation(m) { "the planted corruption" } } catch { return error }
        return nil
    }

    func testHealthyRunsOfEveryDesignPass() throws {
        for policy in Policy.allCases {
            let m = try Machine(spec: .x86(memory: 128 << 20, cpus: 3))
            m.setPolicy(policy)
            for workload in ["random", "jemalloc-purge", "stream", "contig"] {
                var w = try Workloads.make(workload, machine: m)
                let e = Engine(machine: m, seed: 7, checkEvery: 1)
                XCTAssertNoThrow(try e.run(&w, ops: 4000), "\(policy) \(workload)")
                XCTAssertNoThrow(try e.check(after: "the end"), "\(policy) \(workload)")
            }
        }
    }

    /// A free block linked onto a second free list (of another type) as well as its own.
    func testAPageOnTwoListsIsCaughtNamingIt() throws {
        let (m, e, z) = try runMachine()
        let (i, mt) = try XCTUnwrap(freeBlock(z, order: 3))
        z.lists.addHead(Zone.freeList(3, (mt + 1) % MigrateType.pcpTypes), i, z.pages)
        z.nrFree[3] += 1
        let v = try XCTUnwrap(violation(m, e))
        XCTAssertEqual(v.pfn, z.pfn(i), "\(v)")
        XCTAssertEqual(v.operation, "the planted corruption")
    }

    /// Only a list's head may have a stale back link (`ListSet.remove`): the second entry of
    /// a free list and of a PCP list, its back link lost, is caught at once, naming it.
    func testALostBackLinkBehindAHeadIsCaught() throws {
        for lists in [0..<Zone.nrFreeLists, Zone.nrFreeLists..<Zone.nrFreeLists + K.nrPCPLists] {
            let (m, e, z) = try runMachine()
            let l = try XCTUnwrap(lists.first { z.lists.length[$0] >= 2 }, "no list of \(lists) holds two")
            let second = Int(z.pages.nextOf(Int(z.lists.head[l])))
            XCTAssertNil(violation(m, e))
            z.pages.setPrev(second, PageStore.none)
            z.lists.touched.add(second)
            let v = try XCTUnwrap(violation(m, e), "list \(l)")
            XCTAssertEqual(v.pfn, z.pfn(second), "\(v)")
        }
    }

    /// A free block split into two free halves that were never merged back.
    func testUnmergedFreeBuddiesAreCaughtNamingThem() throws {
        let (m, e, z) = try runMachine()
        let (h, mt) = try XCTUnwrap(freeBlock(z, order: 4))
        z.lists.remove(Zone.freeList(4, mt), h, z.pages)
        z.nrFree[4] -= 1
        for half in [h, h + 8] {
            z.pages.set(half, .buddy, order: 3)
            z.lists.addHead(Zone.freeList(3, mt), half, z.pages)
            z.nrFree[3] += 1
        }
        let v = try XCTUnwrap(violation(m, e))
        XCTAssertTrue([z.pfn(h), z.pfn(h + 8)].contains(v.pfn), "\(v)")
        XCTAssertTrue(v.what.contains("unmerged"), "\(v)")
    }

    /// A counter that no longer matches its lists, with no page touched at all.
    func testACountOffIsCaught() throws {
        let (m, e, z) = try runMachine()
        z.nrFree[2] += 1
        let v = try XCTUnwrap(violation(m, e))
        XCTAssertTrue(v.what.contains("nr_free[2]"), "\(v)")
        z.nrFree[2] -= 1
        z.nrFreeHighatomic += 4
        XCTAssertTrue(try XCTUnwrap(violation(m, e)).what.contains("nr_free_highatomic"))
    }

    /// The vmstat counters the check sums exactly (global value and every CPU's pending delta):
    /// a delta off on the last CPU, for the last counter of each run the check sums at once.
    func testAPendingDeltaOffIsCaught() throws {
        let (m, e, z) = try runMachine()
        let lastCPU = m.nrCPUs - 1
        let blocks = lastCPU * ZoneStat.count + ZoneStat.nrFreePagesBlocks.rawValue
        z.vmStat.diff[blocks] += 1
        XCTAssertTrue(try XCTUnwrap(violation(m, e)).what.hasPrefix("NR_FREE_PAGES_BLOCKS is"))
        z.vmStat.diff[blocks] -= 1
        z.vmStat.global[ZoneStat.nrFreePages.rawValue] -= 1
        XCTAssertTrue(try XCTUnwrap(violation(m, e)).what.hasPrefix("NR_FREE_PAGES is"))
        z.vmStat.global[ZoneStat.nrFreePages.rawValue] += 1
        XCTAssertNil(violation(m, e))
        let unevictable = lastCPU * m.nodeStats.items + NodeStat.nrUnevictable.rawValue
        m.nodeStats.diff[unevictable] += 2
        let v = try XCTUnwrap(violation(m, e))
        XCTAssertTrue(v.what.hasPrefix("node counter for unevictable is"), "\(v)")
        XCTAssertEqual(v.zone, "Node 0")
    }

    /// An allocated block left at the head of a free list.
    func testAnAllocatedBlockOnAFreeListIsCaught() throws {
        let (m, e, z) = try runMachine()
        let r = try XCTUnwrap(m.allocPages(cpu: 0, order: 0, kind: .kernel))
        XCTAssertEqual(Int(r.zone), m.zones.firstIndex { $0 === z })
        let i = Int(r.index)
        _ = violation(m, e) // the allocation itself is healthy
        z.lists.addHead(Zone.freeList(0, MigrateType.unmovable.rawValue), i, z.pages)
        let v = try XCTUnwrap(violation(m, e))
        XCTAssertEqual(v.pfn, z.pfn(i), "\(v)")
    }

    /// The full scans come at places fixed by the operation count, and the last operation of
    /// a run is followed by a full check (Run does it): a corruption the incremental check
    /// cannot see (a tail page turned into a stray head) is found by the next full scan.
    func testFullScansComeBackOnTheirOwn() throws {
        let (m, e, z) = try runMachine()
        let pages = m.zones.reduce(0) { $0 + ($1.isPopulated ? $1.pages.count : 0) }
        let period = pages / InvariantChecker.fullScanPagesPerOperation
        let (h, _) = try XCTUnwrap(freeBlock(z, order: 5))
        z.pages.set(h + 1, .allocated, order: 0) // a page inside a free block: nothing links it
        var caught: InvariantViolation?
        for _ in 0..<period where caught == nil { caught = violation(m, e) }
        XCTAssertEqual(caught?.pfn, z.pfn(h + 1), "\(String(describing: caught))")
    }
}
