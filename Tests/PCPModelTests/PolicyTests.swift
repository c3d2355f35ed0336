import XCTest
@testable import PCPModel

/// Each policy's mechanisms do their job on a small machine.
final class PolicyTests: XCTestCase {
    func machine(_ p: Policy, memory: Int = 256 << 20, cpus: Int = 4) throws -> Machine {
        let m = try Machine(spec: .x86(memory: memory, cpus: cpus))
        m.setPolicy(p)
        return m
    }

    /// The running design, as its own type.
    func design<P: AllocatorPolicy>(_ m: Machine, _: P.Type) -> P { m.driver as! P }

    func testRoutedFreeLandsOnTheOwnerAndMerges() throws {
        let m = try machine(.pcpBuddy)
        let r = m.allocPages(cpu: 1, order: 0, kind: .anon)!
        let z = m.zones[Int(r.zone)], i = Int(r.index), buddy = design(m, PCPBuddy.self)
        XCTAssertEqual(z.owner(ofBlock: i >> K.pageblockOrder), 1, "the refill claimed a whole block for CPU 1")
        XCTAssertEqual(buddy.refillPhasePages(z)[1], K.pageblockNrPages)
        let before3 = z.pcp[3].count, before1 = z.pcp[1].count
        try m.freePages(cpu: 3, r, order: 0)
        XCTAssertEqual(buddy.owned.routedFrees[z.id], 1)
        XCTAssertEqual(z.pcp[3].count, before3, "nothing lands on the freeing CPU")
        XCTAssertEqual(z.pcp[1].count, before1 + 1)
        // The split left the page's buddies on CPU 1 as PagePCPBuddy: the free merged it all
        // the way back into the whole block.
        let head = i & ~(K.pageblockNrPages - 1)
        XCTAssertTrue(z.pages.isHead(head, .pcp, order: K.pageblockOrder))
        XCTAssertTrue(z.pages.isPCPBuddy(head))
        XCTAssertEqual(z.pages.cpuOf(head), 1)
        XCTAssertEqual(z.lock.pcpMergeSteps, K.pageblockOrder)
        try InvariantChecker().check(m, after: "routed free")
    }

    func testPhaseZeroRecoversOwnedFragments() throws {
        let m = try machine(.pcpBuddy)
        var held: [PageRef] = []
        for _ in 0..<100 { held.append(m.allocPages(cpu: 0, order: 0, kind: .anon)!) }
        let z = m.zones[Int(held[0].zone)], buddy = design(m, PCPBuddy.self), owned = buddy.owned
        for r in held.dropFirst() { try m.freePages(cpu: 0, r, order: 0) }
        // One page stays allocated, so draining leaves fragments of the block in the zone.
        m.drainAllPages(cpu: 0, zone: nil)
        XCTAssertEqual(owned.ownedBlocksCount(z, cpu: 0), 1)
        XCTAssertEqual(z.owner(ofBlock: Int(held[0].index) >> K.pageblockOrder), 0, "still owned: a page is out")
        try InvariantChecker().check(m, after: "drain with one page out")
        _ = m.allocPages(cpu: 0, order: 0, kind: .anon)!
        XCTAssertEqual(buddy.refillPhasePages(z)[0], K.pageblockNrPages - 1, "phase 0 brought every fragment back")
        XCTAssertEqual(owned.ownedBlocksCount(z, cpu: 0), 0)
        try InvariantChecker().check(m, after: "phase 0")
    }

    /// Takes every free block of pageblock order or more out of a zone (as if allocated).
    func exhaustWholeBlocks(_ m: Machine, _ z: Zone) {
        for mt in 0..<MigrateType.pcpTypes {
            while let i = z.rmqueueSmallest(order: K.pageblockOrder, mt: mt, cpu: 0, m.driver) {
                z.pages.set(i, .allocated, order: K.pageblockOrder)
            }
        }
    }

    func testPhaseTwoTakesChunksWhenNoWholeBlockIsFree() throws {
        let m = try machine(.pcpBuddy, memory: 64 << 20, cpus: 2)
        let z = m.zone(nid: 0, type: .dma32)
        exhaustWholeBlocks(m, z)
        XCTAssertGreaterThan(z.pageStateExact(.nrFreePages), 0, "sub-pageblock chunks are left")
        _ = m.allocPages(cpu: 0, order: 0, kind: .anon)!
        let buddy = design(m, PCPBuddy.self)
        XCTAssertEqual(buddy.refillPhasePages(z)[1], 0)
        XCTAssertGreaterThan(buddy.refillPhasePages(z)[2], 1, "phase 2 took chunks larger than the request")
        XCTAssertEqual(buddy.owned.blocksOwned(z, by: 0), 0, "phase 2 pages are cached only")
    }

    func testPhaseThreeFallsBackToAnotherMigratetype() throws {
        let m = try machine(.pcpBuddy, memory: 64 << 20, cpus: 2)
        // Watermarks near zero, so the last few free pages of DMA32 may still be used.
        try m.setMinFreeKbytes(0)
        try m.setWatermarkScaleFactor(1)
        let z = m.zone(nid: 0, type: .dma32)
        exhaustWholeBlocks(m, z)
        // Every remaining movable chunk leaves too; one unmovable order-3 chunk is all there is.
        var taken: [Int] = []
        while let i = z.rmqueueSmallest(order: 0, mt: MigrateType.movable.rawValue, cpu: 0, m.driver) {
            z.pages.set(i, .allocated, order: 0)
            taken.append(i)
        }
        let chunk = taken.first { $0 & 7 == 0 && taken.contains($0 + 7) }!
        for p in chunk..<(chunk + 8) { z.pages.setTail(p) }
        z.setBlockType(chunk, MigrateType.unmovable.rawValue)
        z.freeOneBuddy(chunk, order: 3, mt: MigrateType.unmovable.rawValue, toTail: false, cpu: 0, m.driver)
        XCTAssertNotNil(m.allocPages(cpu: 0, order: 0, kind: .anon))
        let phases = design(m, PCPBuddy.self).refillPhasePages(z)
        XCTAssertEqual(phases[0] + phases[1] + phases[2], 0)
        XCTAssertGreaterThan(phases[3], 0, "phase 3 stole from the unmovable chunk")
    }

    func testBaselineZoneLockIsRefillsPlusDrains() throws {
        let m = try machine(.baseline, memory: 512 << 20, cpus: 2)
        // More pages than a PCP's high_max, so frees overflow into drains.
        var w: Workload = FaultLoop(machine: m, pagesPerCPU: 20000)
        try Engine(machine: m, seed: 1).run(&w, ops: 60_000)
        for z in m.populatedZones {
            XCTAssertEqual(z.lock.acquisitions, z.lock.refills + z.lock.drains, "zone \(z.type.name)")
        }
        XCTAssertGreaterThan(m.zone(nid: 0, type: .dma32).lock.drains, 0)
    }

    func testPCPMergeMovesMergesOffZoneLock() throws {
        func merges(_ p: Policy) throws -> (zone: Int, pcp: Int) {
            let m = try machine(p, memory: 512 << 20, cpus: 2)
            var w: Workload = FaultLoop(machine: m, pagesPerCPU: 20000)
            try Engine(machine: m, seed: 1).run(&w, ops: 60_000)
            let z = m.zone(nid: 0, type: .dma32)
            return (z.lock.mergeSteps, z.lock.pcpMergeSteps)
        }
        let base = try merges(.baseline), merged = try merges(.pcpMerge)
        XCTAssertEqual(base.pcp, 0)
        XCTAssertGreaterThan(merged.pcp, 0)
        XCTAssertLessThan(merged.zone, base.zone)
    }

    func testBlockEconomyStealsInsteadOfDraining() throws {
        let m = try machine(.blockEconomy, memory: 64 << 20, cpus: 2)
        let z = m.zone(nid: 0, type: .dma32)
        // Boot leaves sub-pageblock chunks at the zone's end; PCPs must never add to them.
        func fragments() -> Int { (0..<K.pageblockOrder).reduce(0) { $0 + (z.nrFree[$1] << $1) } }
        let bootFragments = fragments()
        // CPU 0 takes (nearly) all memory onto its PCP, then gives it back to its PCP.
        var held: [PageRef] = []
        while let r = m.allocPages(cpu: 0, order: 0, kind: .anon) { held.append(r) }
        for r in held { try m.freePages(cpu: 0, r, order: 0) }
        XCTAssertEqual(z.nrFree[K.pageblockOrder] + z.nrFree[K.maxOrder] > 0 || z.pcp[0].count > 0, true)
        // CPU 1 needs pages: it steals whole blocks from CPU 0 rather than draining everyone.
        let economy = design(m, BlockEconomy.self)
        func stolen() -> Int { economy.stolenBlocks[z.id] + economy.stolenPieces[z.id] }
        let stolenBefore = stolen()
        let hadZoneBlocks = z.nrFree[K.pageblockOrder] + z.nrFree[K.maxOrder] > 0
        XCTAssertNotNil(m.allocPages(cpu: 1, order: 0, kind: .anon))
        if !hadZoneBlocks { XCTAssertGreaterThan(stolen(), stolenBefore) }
        try InvariantChecker().check(m, after: "steal")
        // PCPs hand only whole blocks back to the zone under this policy.
        XCTAssertLessThanOrEqual(fragments(), bootFragments)
    }

    func testEveryPolicyKeepsTheInvariantsAndIsDeterministic() throws {
        for p in Policy.allCases {
            func run() throws -> RunMetrics {
                let m = try machine(p, memory: 128 << 20, cpus: 3)
                var w: Workload = RandomMix(machine: m)
                let e = Engine(machine: m, seed: 5, checkEvery: 7)
                try e.run(&w, ops: 3000)
                try e.check(after: "the end")
                return e.metrics(policy: p.rawValue, workload: "random", seed: 5)
            }
            XCTAssertEqual(try run(), try run(), "\(p.rawValue) is deterministic")
        }
    }

    func testPolicySwitchOnALiveMachine() throws {
        let m = try machine(.pcpBuddy)
        var w: Workload = RandomMix(machine: m)
        let e = Engine(machine: m, seed: 2)
        try e.run(&w, ops: 3000)
        m.setPolicy(.baseline)
        XCTAssertEqual(m.pcpPagesTotal, 0, "every PCP emptied")
        XCTAssertEqual(m.zones.reduce(0) { n, z in n + z.pageblocks.indices.filter { z.owner(ofBlock: $0) >= 0 }.count }, 0, "no block owned")
        try e.run(&w, ops: 3000)
        try e.check(after: "switch to baseline and go on")
    }
}
