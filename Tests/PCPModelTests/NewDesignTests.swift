import XCTest
@testable import PCPModel

/// The README's worked example of a fifth design, added from outside the model: the kernel's
/// PCP lists, drained newest first (from the list heads) instead of oldest first.
final class NewestFirst: OwnsNothing {
    static let name = "newest-first"
    init(machine: Machine) {}

    func freePCPPagesBulk(_ z: Zone, cpu: Int, count requested: Int, pindex start: Int, force: Bool) {
        var count = min(z.pcp[cpu].count, requested)
        guard count > 0 else { return }
        z.lockZone()
        z.lock.drains += 1
        defer { z.unlockZone() }
        var pindex = start - 1
        while count > 0 {
            let l = z.nextPCPList(cpu, after: &pindex)
            let order = pindexToOrder(pindex)
            repeat {
                let i = Int(z.lists.head[l])
                z.lists.remove(l, i, z.pages)
                count -= 1 << order
                z.addPCPCount(cpu, -(1 << order))
                z.toZone(cpu, i, order: order, self)
            } while count > 0 && !z.lists.isEmpty(l)
        }
    }
}

extension Policy {
    static let newestFirst = Policy(NewestFirst.self)
}

/// A design added in one file runs every workload with the invariant checker on, its hooks are
/// the ones called, and a live machine switches to it and back.
final class NewDesignTests: XCTestCase {
    func run(_ p: Policy, _ workload: String, params: [String: String] = [:], memory: Int = 128 << 20, cpus: Int = 4,
             ops: Int = 6000, check: Int) throws -> (Machine, RunMetrics) {
        let m = try Machine(spec: .x86(memory: memory, cpus: cpus))
        m.setPolicy(p)
        var w = try Workloads.make(workload, machine: m, params: params)
        let e = Engine(machine: m, seed: 3, checkEvery: check)
        try e.run(&w, ops: ops)
        try e.check(after: "the end")
        return (m, e.metrics(policy: p.rawValue, workload: workload, seed: 3))
    }

    func testEveryWorkloadKeepsTheInvariants() throws {
        for w in Workloads.names.filter({ $0 != "mix:A+B" }) {
            let (m, r) = try run(.newestFirst, w, check: 13)
            XCTAssertEqual(m.policy.rawValue, "newest-first")
            XCTAssertGreaterThan(r.pagesAllocated, 0, w)
        }
    }

    func testItsDrainIsTheOneThatRuns() throws {
        // More pages than a PCP's high_max, so frees overflow into drains.
        func faultLoop(_ p: Policy) throws -> (Machine, RunMetrics) {
            try run(p, "fault-loop", params: ["pages": "20000"], memory: 512 << 20, cpus: 2, ops: 60_000, check: 0)
        }
        let (m, newest) = try faultLoop(.newestFirst), (_, baseline) = try faultLoop(.baseline)
        XCTAssertGreaterThan(m.zones.reduce(0) { $0 + $1.lock.drains }, 0, "the workload drains PCPs")
        XCTAssertNotEqual(newest.merges, baseline.merges, "other pages reach the buddy, so other merges happen")
    }

    func testALiveMachineSwitchesToItAndBack() throws {
        let m = try Machine(spec: .x86(memory: 128 << 20, cpus: 4))
        m.setPolicy(.pcpBuddy)
        var w: Workload = RandomMix(machine: m)
        let e = Engine(machine: m, seed: 2, checkEvery: 29)
        try e.run(&w, ops: 3000)
        m.setPolicy(.newestFirst)
        XCTAssertEqual(m.pcpPagesTotal, 0, "every PCP emptied")
        try e.run(&w, ops: 3000)
        m.setPolicy(.baseline)
        try e.run(&w, ops: 3000)
        try e.check(after: "pcp-buddy, newest-first, baseline")
    }
}
