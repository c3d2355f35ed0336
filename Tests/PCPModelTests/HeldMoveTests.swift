import XCTest
@testable import PCPModel

/// `HeldBlocks.moveLast` and `absorb` (the arena's reuse of a dirty page, a CPU's release to
/// the dirty pool) against what they stand for: `removeLast` and then `append`. Two identical
/// machines take the same random steps, one each way, and must agree on every held entry and
/// on every folio's LRU owner and offset (which `migrateFolio` follows to the holder's slot)
/// once the moves' skipped owner words are resolved. Only holder 2 holds pinned folios, so
/// moves between 0 and 1 leave their owner words to `resolveHeldOwners`.
final class HeldMoveTests: XCTestCase {
    func testMoveLastIsRemoveLastThenAppend() throws {
        let spec = try MachineSpec.x86(memory: 256 << 20, cpus: 2)
        let a = try Machine(spec: spec), b = try Machine(spec: spec)
        // Holder 3 never holds a movable folio before it gives some up: an unregistered source.
        var ha = [HeldBlocks](repeating: HeldBlocks(), count: 4), hb = ha
        var rng = SplitMix64(seed: 11)
        var staleSeen = 0
        let kinds: [AllocKind] = [.anon, .anon, .kernel, .file, .slabUnreclaimable]
        for step in 0..<30_000 {
            let i = rng.below(4), j = rng.below(4), r = rng.below(20)
            if r < 8 {
                let kind = kinds[rng.below(kinds.count)], pinned = rng.below(6) == 0 && i == 2
                let into = i == 3 && kind != .kernel ? 0 : i
                _ = a.allocOp(cpu: 0, order: 0, kind: kind, pinned: pinned, into: &ha[into])
                _ = b.allocOp(cpu: 0, order: 0, kind: kind, pinned: pinned, into: &hb[into])
            } else if r < 16, i != j, ha[j].count > 0 {
                let (ref, o) = ha[j].removeLast()
                ha[i].append(ref, order: o, a)
                // Copies share the store, but a holder's first store is made in the copy.
                var to = hb[i], from = hb[j]
                to.moveLast(from: &from, b)
                hb[i] = to
            } else if r < 17, i != j {
                var ta = ha[i], fa = ha[j]
                while fa.count > 0 {
                    let (ref, o) = fa.removeLast()
                    ta.append(ref, order: o, a)
                }
                ha[i] = ta
                var tb = hb[i], fb = hb[j]
                tb.absorb(&fb, b)
                hb[i] = tb
            } else if r < 19, ha[i].count > 0 {
                let k = rng.below(ha[i].count)
                let (ra, oa) = ha[i].swapRemove(k), (rb, ob) = hb[i].swapRemove(k)
                try a.freePages(cpu: 1, ra, order: oa)
                try b.freePages(cpu: 1, rb, order: ob)
            } else if let ref = ha[i].refs.first {
                // Migration follows the owner field to the slot: both machines move a block.
                let start = a.pfn(of: ref) & ~(K.pageblockNrPages - 1), zone = Int(ref.zone)
                for m in [a, b] {
                    let (res, taken) = m.allocContigRange(cpu: 0, zone: zone, startPFN: start, order: K.pageblockOrder, kind: .kernel)
                    if res.success { for t in taken { try m.freePages(cpu: 0, t, order: K.pageblockOrder) } }
                }
            }
            guard step % 500 == 0 || step == 29_999 else { continue }
            if b.heldOwnersStale { staleSeen += 1 }
            a.resolveHeldOwners()
            b.resolveHeldOwners()
            for h in 0..<4 {
                XCTAssertEqual(ha[h].refs, hb[h].refs, "holder \(h), step \(step)")
                XCTAssertEqual(ha[h].orders, hb[h].orders)
                XCTAssertEqual(ha[h].pages, hb[h].pages)
            }
            let n = a.lru.owner.count
            let owners = (0..<n).filter { a.lru.owner[$0] != b.lru.owner[$0] || a.lru.offset[$0] != b.lru.offset[$0] }
            XCTAssertEqual(owners, [], "step \(step)")
            if !owners.isEmpty { return }
        }
        XCTAssertGreaterThan((0..<a.lru.owner.count).filter { a.lru.owner[$0] & HeldStore.tag != 0 }.count, 100, "movable held folios were exercised")
        XCTAssertGreaterThan(staleSeen, 10, "moves left owner words to resolve")
        XCTAssertFalse(a.heldOwnersStale, "removeLast and append write owner words at once")
        try InvariantChecker().check(b, after: "moves between holders")
    }

    /// Held blocks mark their LRU folios (`HeldEntry.lruFolio`), which alone have their LRU
    /// lines read on a free: a restore works the marks out again from the machine, and the
    /// checker refuses a held LRU folio left unmarked, naming its page.
    func testHeldBlocksMarkTheirLRUFolios() throws {
        let m = try Machine(spec: .x86(memory: 128 << 20, cpus: 2))
        var held = HeldBlocks()
        let kinds: [AllocKind] = [.anon, .kernel, .file, .slabUnreclaimable, .anon, .pageTable]
        for k in kinds { _ = m.allocOp(cpu: 0, order: 0, kind: k, into: &held) }
        let s = try XCTUnwrap(m.heldStores.first)
        let marks = { (0..<s.count).map { s[$0].lruFolio } }
        XCTAssertEqual(marks(), kinds.map(\.onLRU))
        // As a restore leaves them.
        for k in 0..<s.count { s[k] = HeldEntry(s[k].ref, order: Int(s[k].order), lruFolio: true) }
        m.noteRestoredHeldStores()
        XCTAssertEqual(marks(), kinds.map(\.onLRU))
        try InvariantChecker().check(m, after: "holding")
        let anon = s[0]
        s[0] = HeldEntry(anon.ref, order: 0, lruFolio: false)
        XCTAssertThrowsError(try InvariantChecker().check(m, after: "unmarking")) { e in
            XCTAssertEqual((e as? InvariantViolation)?.pfn, m.pfn(of: anon.ref))
        }
        s[0] = anon
        while held.count > 0 {
            let (r, o) = held.swapRemove(held.count / 2)
            try m.freePages(cpu: 1, r, order: o)
        }
        XCTAssertEqual((0..<m.lru.owner.count).filter { m.lru.owner[$0] != 0 || m.lru.flags[$0] != 0 }, [])
        try InvariantChecker().check(m, after: "freeing")
    }
}
