import XCTest
@testable import PCPModel

/// Invariants hold over long random runs on every order and migratetype.
final class InvariantTests: XCTestCase {
    func run(_ m: Machine, _ workload: String, ops: Int, seed: UInt64, every: Int = 1) throws -> Engine.OpCounts {
        var w = try Workloads.make(workload, machine: m)
        let e = Engine(machine: m, seed: seed, checkEvery: every)
        try e.run(&w, ops: ops)
        if every > 0 { try e.check(after: "the last operation") }
        return e.totals
    }

    func testRandomMixKeepsEveryInvariant() throws {
        for seed: UInt64 in [1, 2, 3] {
            let m = try Machine(spec: .x86(memory: 96 << 20, cpus: 3))
            let s = try run(m, "random", ops: 4000, seed: seed)
            XCTAssertGreaterThan(s.frees, 1000)
            XCTAssertGreaterThan(s.allocs, 1000)
        }
    }

    func testTwoNodesAndTinyZones() throws {
        let m = try Machine(spec: .x86(memory: 128 << 20, cpus: 4, nodes: 2))
        _ = try run(m, "random", ops: 4000, seed: 9)
        XCTAssertEqual(m.zones.filter(\.isPopulated).count, 3)
    }

    func testFaultLoop() throws {
        let m = try Machine(spec: .x86(memory: 128 << 20, cpus: 2))
        let s = try run(m, "fault-loop", ops: 20000, seed: 1, every: 97)
        XCTAssertEqual(s.failedAllocs, 0)
    }

    func testEveryOrderAndMigratetypeIsExercised() throws {
        let m = try Machine(spec: .x86(memory: 128 << 20, cpus: 2))
        var seen = Set<String>()
        var held: [(PageRef, Int)] = []
        var rng = SplitMix64(seed: 5)
        let checker = InvariantChecker()
        for n in 0..<3000 {
            if held.isEmpty || rng.below(3) != 0 {
                let order = rng.below(K.maxOrder + 1), kind = AllocKind(rawValue: rng.below(AllocKind.count))!
                if let r = m.allocPages(cpu: rng.below(2), order: order, kind: kind) {
                    held.append((r, order)); seen.insert("\(order)/\(kind.migratetype)")
                }
            } else {
                let (r, o) = held.remove(at: rng.below(held.count))
                try m.freePages(cpu: rng.below(2), r, order: o)
            }
            if n % 10 == 0 { try checker.check(m, after: "step \(n)") }
        }
        XCTAssertEqual(seen.count, 11 * 3, "every order with every PCP migratetype")
        for (r, o) in held { try m.freePages(cpu: 0, r, order: o) }
        m.drainAllPages(cpu: 0, zone: nil)
        try checker.check(m, after: "freeing everything")
        // With everything back and drained, the zone is whole again: maximal blocks only.
        let normal = m.zone(nid: 0, type: .dma32)
        XCTAssertEqual(normal.pageStateExact(.nrFreePages), normal.managed)
    }

    func testCheckerCatchesCorruption() throws {
        let m = try Machine(spec: .x86(memory: 64 << 20, cpus: 1))
        let r = m.allocPages(cpu: 0, order: 0, kind: .anon)!
        let z = m.zones[Int(r.zone)]
        z.pcp[0].count += 1
        XCTAssertThrowsError(try InvariantChecker().check(m, after: "tampering")) { e in
            XCTAssertTrue("\(e)".contains("pcp->count"), "\(e)")
        }
    }

    /// The zone's sum of its CPUs' counts, which the sampler reads, is kept through every
    /// design's moves and rebuilt by a restore; one off is caught.
    func testTheZonesPCPCountSumFollowsItsCPUs() throws {
        for policy in Policy.allCases {
            let spec = try MachineSpec.x86(memory: 256 << 20, cpus: 3)
            let m = try Machine(spec: spec)
            m.setPolicy(policy)
            _ = try run(m, "random", ops: 20000, seed: 4, every: 0)
            try InvariantChecker().check(m, after: "\(policy)'s run")
            XCTAssertGreaterThan(m.pcpPagesTotal, 0, "\(policy)")
            let saving = Checkpoint()
            try m.checkpoint(saving)
            let back = try Machine(spec: spec)
            try back.checkpoint(Checkpoint(restoring: saving.bytes))
            XCTAssertEqual(back.pcpPagesTotal, m.pcpPagesTotal, "\(policy)")
            try InvariantChecker().check(back, after: "\(policy)'s restore")
            let z = back.zones.first { $0.pcpCountTotal > 0 }!
            z.pcpCountTotal += 1
            XCTAssertThrowsError(try InvariantChecker().check(back, after: "tampering")) { e in
                XCTAssertTrue("\(e)".contains("sum of pcp->count"), "\(e)")
            }
        }
    }

    /// The fast path reads a page's kind by bit pattern: each kind's raw value must be its
    /// case index, and every kind must come back as written.
    func testEveryAllocKindSurvivesThePageStore() throws {
        let m = try Machine(spec: .x86(memory: 64 << 20, cpus: 1))
        for (n, k) in AllocKind.allCases.enumerated() {
            XCTAssertEqual(k.rawValue, n)
            let r = m.allocPages(cpu: 0, order: 0, kind: k)!
            let z = m.zones[Int(r.zone)]
            XCTAssertEqual(z.pages.allocatedHeadKind(Int(r.index), order: 0), k)
            try m.freePages(cpu: 0, r, order: 0)
        }
        try InvariantChecker().check(m, after: "one page of each kind")
    }

    func testBadFreeIsRefusedAndChangesNothing() throws {
        let m = try Machine(spec: .x86(memory: 64 << 20, cpus: 2))
        let r = m.allocPages(cpu: 0, order: 2, kind: .kernel)!
        XCTAssertThrowsError(try m.freePages(cpu: 0, r, order: 1))
        try m.freePages(cpu: 1, r, order: 2)
        XCTAssertThrowsError(try m.freePages(cpu: 1, r, order: 2), "double free")
        try InvariantChecker().check(m, after: "refused frees")
    }

    func testSameSeedSameState() throws {
        func fingerprint(_ seed: UInt64) throws -> [Int] {
            let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 4))
            _ = try run(m, "random", ops: 20000, seed: seed, every: 0)
            let s = m.snapshot()
            return s.zones.flatMap { $0.nrFree + $0.pcp.map(\.count) + $0.vmStat } + s.events
        }
        XCTAssertEqual(try fingerprint(42), try fingerprint(42))
        XCTAssertNotEqual(try fingerprint(42), try fingerprint(43))
    }
}
