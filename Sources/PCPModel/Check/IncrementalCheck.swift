/// The pages whose list links changed since the last incremental check: the one hook of the
/// checker in the model's hot paths (ListSet's link operations), a branch when it is off.
final class TouchLog {
    @exclusivity(unchecked) var on = false
    @exclusivity(unchecked) var pages: [Int] = []

    @inline(never) func add(_ i: Int) { pages.append(i) }
}

/// `--check` on every operation at a small constant cost: after each operation, what it
/// touched (each page it linked or unlinked, its block and buddy, the links around it) and
/// every counter that must equal its lists' contents (O(lists)); the full scan runs when the
/// operations since the last one have earned it (`fullScanPagesPerOperation`), and at the end
/// of a run. Counting operations, not time, keeps the scans' places deterministic.
extension InvariantChecker {
    /// The full scans read at most this many pages per operation on average: at 2 M pages a
    /// scan every 262,144 operations, about a quarter of what the operations themselves cost.
    static let fullScanPagesPerOperation = 8

    /// Starts (or stops) recording the pages each operation touches.
    func logTouches(_ m: Machine, _ on: Bool) {
        for z in m.zones {
            z.lists.touched.on = on
            z.lists.touched.pages.removeAll(keepingCapacity: true)
        }
    }

    /// The incremental check after one operation (`operation` names it in a violation).
    func checkOperation(_ m: Machine, operation: () -> String) throws(InvariantViolation) {
        if pagesInZones == 0 { pagesInZones = m.zones.reduce(0) { $0 + ($1.isPopulated ? $1.pages.count : 0) } }
        scanCredit += Self.fullScanPagesPerOperation
        if scanCredit >= pagesInZones {
            scanCredit -= pagesInZones
            for z in m.zones { z.lists.touched.pages.removeAll(keepingCapacity: true) }
            try check(m, after: operation())
            return
        }
        // The zones borrowed, not retained: this runs after every operation.
        for id in m.zones.indices {
            try m.withZone(id) { z throws(InvariantViolation) in
                guard z.isPopulated else { return }
                // Pages first: a corruption that also puts a counter off is named by its page.
                if !z.lists.touched.pages.isEmpty {
                    for i in z.lists.touched.pages { try checkTouched(i, z, m, operation) }
                    z.lists.touched.pages.removeAll(keepingCapacity: true)
                }
                try checkCounters(z, operation)
            }
        }
        // The LRU counters are node_stat_items 0..<5, in LRUList order.
        for nid in 0..<m.nrNodes {
            let counters = m.nodeStats.exact(from: nid * NodeStat.count + LRUList.inactiveAnon.nodeStat.rawValue, count: LRUList.count)
            for k in 0..<LRUList.count {
                let li = nid * LRUList.count + k
                guard counters[k] == m.lru.size[li] else {
                    throw InvariantViolation(zone: "Node \(nid)", pfn: nil, operation: operation(),
                                             what: "node counter for \(LRUList(rawValue: k)!) is \(counters[k]) but the list's size says \(m.lru.size[li])")
                }
            }
        }
    }

    /// The zone's free counters against its free lists' lengths: nr_free per order,
    /// NR_FREE_PAGES, NR_FREE_PAGES_BLOCKS and nr_free_highatomic.
    private func checkCounters(_ z: Zone, _ operation: () -> String) throws(InvariantViolation) {
        var free = 0, blocks = 0, highatomic = 0
        // One order's lists are consecutive (`Zone.freeList`): summed without a branch a type,
        // since this runs for every zone after every operation.
        for o in 0...K.maxOrder {
            var perOrder = 0
            let first = Zone.freeList(o, 0)
            for mt in 0..<MigrateType.count { perOrder &+= z.lists.length[first &+ mt] }
            let isolated = z.lists.length[first &+ MigrateType.isolate.rawValue]
            let counted = (perOrder &- isolated) &<< o
            free &+= counted
            if o >= K.pageblockOrder { blocks &+= counted }
            highatomic &+= z.lists.length[first &+ MigrateType.highAtomic.rawValue] &<< o
            guard perOrder == z.nrFree[o] else {
                throw fail(z, nil, operation(), "nr_free[\(o)] is \(z.nrFree[o]) but the lists' lengths add up to \(perOrder)")
            }
        }
        // NR_FREE_PAGES and NR_FREE_PAGES_BLOCKS are zone_stat_items 0 and 1.
        let exact = z.vmStat.exact(from: ZoneStat.nrFreePages.rawValue, count: 2)
        guard exact[0] == free else {
            throw fail(z, nil, operation(), "NR_FREE_PAGES is \(exact[0]) but the free lists hold \(free) pages")
        }
        guard exact[1] == blocks else {
            throw fail(z, nil, operation(), "NR_FREE_PAGES_BLOCKS is \(exact[1]) but the free lists hold \(blocks) pages in free pageblocks")
        }
        guard z.nrFreeHighatomic == highatomic else {
            throw fail(z, nil, operation(), "nr_free_highatomic is \(z.nrFreeHighatomic), lists hold \(highatomic)")
        }
    }

    /// Page `i` of `z` was linked or unlinked: the block it is now part of is well formed, a
    /// free block sits on its type's free list with intact links and no free buddy beside it,
    /// a PCP block's links are intact, and an allocated block heads no free list.
    private func checkTouched(_ i: Int, _ z: Zone, _ m: Machine, _ operation: () -> String) throws(InvariantViolation) {
        var h = i
        switch z.pages.state(i) {
        case .reserved:
            throw fail(z, i, operation(), "a reserved page was put on a list")
        case .tail:
            var o = 1
            while o <= K.maxOrder && z.pages.state(i & ~((1 << o) - 1)) == .tail { o += 1 }
            h = i & ~((1 << min(o, K.maxOrder)) - 1)
            guard o <= K.maxOrder, z.pages.state(h) != .reserved, h + (1 << z.pages.order(h)) > i else {
                throw fail(z, i, operation(), "page belongs to no block (tail without a head)")
            }
        default: break
        }
        let o = z.pages.order(h), n = 1 << o
        guard h & (n - 1) == 0, h + n <= z.pages.count else { throw fail(z, h, operation(), "order-\(o) block is misaligned") }
        let none = PageStore.none, prev = z.pages.prevOf(h), next = z.pages.nextOf(h)
        switch z.pages.state(h) {
        case .buddy:
            let mt = z.blockType(h), l = Zone.freeList(o, mt)
            guard z.lists.head[l] == UInt32(h) || prev != none && linked(Int(prev), z, o, mt) && z.pages.nextOf(Int(prev)) == UInt32(h),
                  next == none ? z.lists.tail[l] == UInt32(h) : linked(Int(next), z, o, mt) && z.pages.prevOf(Int(next)) == UInt32(h) else {
                throw fail(z, h, operation(), "free order-\(o) block is not linked into the type-\(mt) free list of its order")
            }
            for other in 0..<MigrateType.count where other != mt {
                let ol = Zone.freeList(o, other)
                if z.lists.head[ol] == UInt32(h) || z.lists.tail[ol] == UInt32(h) {
                    throw fail(z, h, operation(), "free order-\(o) block of type \(mt) is also on the type-\(other) free list")
                }
            }
            if o < K.pageblockOrder, mt != MigrateType.isolate.rawValue, z.isFreeBuddy(h ^ n, order: o) {
                throw fail(z, h, operation(), "free order-\(o) block and its buddy were left unmerged")
            }
            guard m.lru.folioFlags(z.pfn(h)) == 0 else { throw fail(z, h, operation(), "a free block carries LRU flags") }
        case .pcp:
            // A head's back link may be stale. The designs' buddy areas are not the zone's
            // lists, so for their PagePCPBuddy blocks only the forward side is checked here.
            let mayBeStale = z.pages.isPCPBuddy(h) || z.lists.head[z.pcpList(z.pages.cpuOf(h), orderToPindex(z.pages.kind(h), o))] == UInt32(h)
            guard mayBeStale || prev != none && z.pages.nextOf(Int(prev)) == UInt32(h), next == none || z.pages.prevOf(Int(next)) == UInt32(h) else {
                throw fail(z, h, operation(), "PCP block's list links are broken")
            }
        case .allocated:
            for mt in 0..<MigrateType.count where z.lists.head[Zone.freeList(o, mt)] == UInt32(h) {
                throw fail(z, h, operation(), "allocated order-\(o) block heads the type-\(mt) free list")
            }
        default: break
        }
    }

    /// Whether `i` heads a free order-`o` block of type `mt`: a neighbour on that free list.
    private func linked(_ i: Int, _ z: Zone, _ o: Int, _ mt: Int) -> Bool {
        z.pages.isHead(i, .buddy, order: o) && z.blockType(i) == mt
    }
}
