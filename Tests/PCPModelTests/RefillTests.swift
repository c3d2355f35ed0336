import XCTest
@testable import PCPModel

/// rmqueue_bulk() splits a free block into the PCP in one pass (`rmqueueSmallestBulk`); with a
/// tracer attached it makes one __rmqueue_smallest() call a block, as it did before. Both must
/// leave the same machine, byte for byte: lists and their links, page entries, free counts,
/// the vmstat deltas where they fold, the lock figures.
final class RefillTests: XCTestCase {
    func state(_ policy: Policy, _ workload: String, _ params: [String: String], traced: Bool) throws -> (bytes: [UInt8], refills: Int) {
        let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 4))
        m.setPolicy(policy)
        if traced { m.setTracer(Tracer()) }
        var w = try Workloads.make(workload, machine: m, params: params)
        let e = Engine(machine: m, seed: 3)
        try e.run(&w, ops: 40_000)
        let c = Checkpoint()
        try m.checkpoint(c)
        try w.checkpoint(c)
        try e.checkpoint(c)
        return (c.bytes, m.zones.reduce(0) { $0 + $1.lock.refills })
    }

    func testOnePassRefillLeavesWhatTheCallsLeave() throws {
        // random: refills of orders 0-3 and 9 and partly split blocks; stream: order-9 page
        // cache folios; jemalloc-purge: refills that grow to thousands of pages.
        let cases: [(String, [String: String])] = [
            ("random", [:]), ("stream", ["order": "9", "readers": "2", "file_mb": "256"]), ("jemalloc-purge", [:]),
        ]
        for policy in [Policy.baseline, .pcpMerge] {
            for (name, params) in cases {
                let one = try state(policy, name, params, traced: false)
                let calls = try state(policy, name, params, traced: true)
                XCTAssertGreaterThan(one.refills, 50, "\(policy.rawValue) \(name): the run refilled")
                XCTAssertEqual(one.bytes.count, calls.bytes.count, "\(policy.rawValue) \(name)")
                XCTAssertTrue(one.bytes == calls.bytes, "\(policy.rawValue) \(name): the one-pass refill left another machine")
            }
        }
    }

    /// One refill straight from a booted zone: its few small movable blocks, then MAX_ORDER
    /// ones. Every count that stops the first MAX_ORDER block around a power of two, where the
    /// pass leaves another set of halves (and takes, or leaves, its pageblock half), at each
    /// PCP order, and past it into the next.
    func testOnePassTakesWhatTheCallsTakeAtEveryBoundary() throws {
        let mt = MigrateType.movable.rawValue
        func booted(traced: Bool) throws -> (Machine, Zone) {
            let m = try Machine(spec: .x86(memory: 1 << 30, cpus: 2))
            if traced { m.setTracer(Tracer()) }
            return (m, m.zone(nid: 0, type: .dma32))
        }
        for order in 0...3 {
            // The blocks the refill takes before the first MAX_ORDER one.
            let (_, probe) = try booted(traced: false)
            let before = (order..<K.maxOrder).reduce(0) { $0 + probe.lists.length[Zone.freeList($1, mt)] << ($1 - order) }
            var counts: Set<Int> = [1, 4, 5, 2 << (K.maxOrder - order)]
            for k in 2...(K.maxOrder - order) { counts.formUnion([(1 << k) - 1, 1 << k, (1 << k) + 1]) }
            for n in counts.sorted().map({ before + $0 }) {
                func refill(traced: Bool) throws -> (Int, [UInt8]) {
                    let (m, z) = try booted(traced: traced)
                    let taken = Baseline.borrow(m) { p in
                        z.rmqueueBulk(1, order: order, count: n, list: z.pcpList(1, orderToPindex(mt, order)), mt: mt, flags: [], p)
                    }
                    let c = Checkpoint()
                    try m.checkpoint(c)
                    return (taken, c.bytes)
                }
                let (taken, one) = try refill(traced: false), (calls, each) = try refill(traced: true)
                XCTAssertEqual(taken, n, "order \(order), \(n) blocks")
                XCTAssertEqual(calls, n)
                XCTAssertTrue(one == each, "order \(order), \(n) blocks: the one-pass refill left another machine")
            }
        }
    }

    func testRepeatedVMStatChangeFoldsWhereEachCallWould() {
        var rng = SplitMix64(seed: 9)
        for _ in 0..<2000 {
            let threshold = rng.below(130), times = rng.below(300)
            let delta = (1 + rng.below(600)) * (rng.below(2) == 0 ? -1 : 1)
            let start = rng.below(2 * threshold + 1) - threshold
            let calls = DiffCounters(items: 1, cpus: 1), once = DiffCounters(items: 1, cpus: 1)
            calls.diff[0] = start
            once.diff[0] = start
            for _ in 0..<times { calls.mod(0, cpu: 0, delta, threshold: threshold) }
            once.mod(0, cpu: 0, delta, threshold: threshold, times: times)
            XCTAssertEqual([once.global[0], once.diff[0]], [calls.global[0], calls.diff[0]],
                           "delta \(delta) × \(times), threshold \(threshold), from \(start)")
        }
    }
}
