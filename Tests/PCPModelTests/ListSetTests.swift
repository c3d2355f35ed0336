import XCTest
@testable import PCPModel

/// `ListSet.remove` leaves a head's back link stale when it takes the head: every other back
/// link stays exact, the lists read the same, and a save gives every head the back link none,
/// so a saved state holds exact links for every listed page, as it did before.
final class ListSetTests: XCTestCase {
    private func walk(_ s: borrowing ListSet, _ l: Int, _ p: borrowing PageStore) -> [Int] {
        var out: [Int] = [], e = s.head[l]
        while e != PageStore.none { out.append(Int(e)); e = p.nextOf(Int(e)) }
        return out
    }

    func testOnlyAHeadsBackLinkGoesStale() {
        let p = PageStore(count: 2048), s = ListSet(count: 2)
        for i in [10, 20, 30, 40] { s.addTail(0, i, p) }
        s.remove(0, 10, p)
        XCTAssertEqual(walk(s, 0, p), [20, 30, 40])
        XCTAssertEqual(p.prevOf(20), 10, "the new head's back link is left as it was")
        XCTAssertEqual([p.prevOf(30), p.prevOf(40)], [20, 30])
        s.remove(0, 30, p)
        XCTAssertEqual([p.nextOf(20), p.prevOf(40)], [40, 20], "an inner entry is unlinked by its exact links")
        s.addHead(0, 50, p)
        XCTAssertEqual(p.prevOf(20), 50, "an entry that stops being the head gets an exact back link")
        s.remove(0, 40, p)
        XCTAssertEqual([s.tail[0], p.nextOf(20)], [20, PageStore.none])
        XCTAssertEqual(walk(s, 0, p), [50, 20])
        XCTAssertEqual(s.length[0], 2)
        s.remove(0, 50, p)
        XCTAssertEqual(p.prevOf(20), 50)
        s.clearHeadBackLinks(0..<2, p)
        XCTAssertEqual(p.prevOf(20), PageStore.none)
        s.remove(0, 20, p)
        XCTAssertEqual([s.head[0], s.tail[0]], [PageStore.none, PageStore.none])
        XCTAssertEqual(s.length[0], 0)
        XCTAssertTrue(s.isEmpty(1))
    }

    /// Heads with a back link other than none: in the zones' own lists, and in the buddy
    /// areas of an owning design.
    private func staleHeads(_ m: Machine) -> (zones: Int, areas: Int) {
        var n = (zones: 0, areas: 0)
        for z in m.zones {
            let stale = { (h: UInt32) in h != PageStore.none && z.pages.prevOf(Int(h)) != PageStore.none }
            n.zones += (0..<z.lists.head.count).count { stale(z.lists.head[$0]) }
            if let o = (m.policyObject as? PCPBuddy)?.owned {
                let perZone = o.areaListsPerZone
                n.areas += (z.id * perZone..<(z.id + 1) * perZone).count { stale(o.area.head[$0]) }
            }
        }
        return n
    }

    /// After a run the pops have left stale heads, in the zones' lists and in the buddy
    /// areas; a save clears them all, and a restored machine saves the same bytes.
    func testASaveGivesEveryHeadTheBackLinkNone() throws {
        for policy in [Policy.baseline, .pcpBuddy] {
            let spec = try MachineSpec.x86(memory: 256 << 20, cpus: 2)
            let m = try Machine(spec: spec)
            m.setPolicy(policy)
            var w = try Workloads.make("random", machine: m)
            try Engine(machine: m, seed: 3).run(&w, ops: 20000)
            let before = staleHeads(m)
            XCTAssertGreaterThan(before.zones, 0, "\(policy): the run left no stale head in a zone")
            XCTAssertEqual(before.areas > 0, policy == .pcpBuddy, "\(policy): stale heads in buddy areas")
            let saving = Checkpoint()
            try m.checkpoint(saving)
            let after = staleHeads(m)
            XCTAssertEqual([after.zones, after.areas], [0, 0], "\(policy)")
            let back = try Machine(spec: spec)
            try back.checkpoint(Checkpoint(restoring: saving.bytes))
            let again = Checkpoint()
            try back.checkpoint(again)
            XCTAssertEqual(again.bytes, saving.bytes, "\(policy)")
        }
    }
}
