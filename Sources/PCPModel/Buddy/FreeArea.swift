/// Free-list maintenance under zone->lock (mm/page_alloc.c, 6.18).
extension Zone {
    /// __add_to_free_list(): link a block head, count it, and keep NR_FREE_PAGES_BLOCKS.
    @inline(__always) func addToFreeList<P: AllocatorPolicy>(_ i: Int, order: Int, mt: Int, toTail: Bool, cpu: Int?, _ p: P) {
        pages.set(i, .buddy, order: order)
        let l = Zone.freeList(order, mt)
        if toTail { lists.addTail(l, i, pages) } else { lists.addHead(l, i, pages) }
        nrFree[order] += 1
        if order >= K.pageblockOrder && mt != MigrateType.isolate.rawValue {
            modState(.nrFreePagesBlocks, cpu: cpu, 1 << order)
        }
        p.freeListChanged(self, i, order: order, pages: 1 << order)
    }

    /// __del_page_from_free_list(): unlink a block head; the page stops being PageBuddy.
    @inline(__always) func delFromFreeList<P: AllocatorPolicy>(_ i: Int, order: Int, mt: Int, cpu: Int?, _ p: P) {
        lists.remove(Zone.freeList(order, mt), i, pages)
        pages.setTail(i)
        nrFree[order] -= 1
        if order >= K.pageblockOrder && mt != MigrateType.isolate.rawValue {
            modState(.nrFreePagesBlocks, cpu: cpu, -(1 << order))
        }
        p.freeListChanged(self, i, order: order, pages: -(1 << order))
    }

    /// move_to_free_list(): a free block changes list with its pageblock's type.
    func moveToFreeList<P: AllocatorPolicy>(_ i: Int, order: Int, from old: Int, to new: Int, cpu: Int?, _ p: P) {
        delFromFreeList(i, order: order, mt: old, cpu: cpu, p)
        addToFreeList(i, order: order, mt: new, toTail: true, cpu: cpu, p)
        let n = 1 << order
        accountFreepages(-n, mt: old, cpu: cpu)
        accountFreepages(n, mt: new, cpu: cpu)
    }

    /// account_freepages(): NR_FREE_PAGES (never for ISOLATE) and nr_free_highatomic.
    @inline(__always) func accountFreepages(_ n: Int, mt: Int, cpu: Int?) {
        if mt == MigrateType.isolate.rawValue { return }
        modState(.nrFreePages, cpu: cpu, n)
        if mt == MigrateType.highAtomic.rawValue { nrFreeHighatomic += n }
    }

    /// page_is_buddy() for the block at `i`: a free head of exactly `order` in this zone.
    @inline(__always) func isFreeBuddy(_ i: Int, order: Int) -> Bool {
        i >= 0 && i < pages.count && pages.isHead(i, .buddy, order: order)
    }

    /// __free_one_page() (6.18): merge with free buddies up to MAX_PAGE_ORDER and queue the
    /// result. At pageblock order and above, blocks of different types merge only when both
    /// are mergeable, and the buddy's block takes the freed block's type.
    /// Returns the number of merge steps taken.
    @discardableResult
    func freeOneBuddy<P: AllocatorPolicy>(_ start: Int, order startOrder: Int, mt: Int, toTail fpiToTail: Bool, cpu: Int?, _ p: P) -> Int {
        var i = start, order = startOrder
        accountFreepages(1 << order, mt: mt, cpu: cpu)
        pages.setTail(start)
        var merges = 0
        while order < K.maxOrder {
            let b = i ^ (1 << order)
            guard isFreeBuddy(b, order: order) else { break }
            var buddyMT = mt
            if order >= K.pageblockOrder {
                buddyMT = blockType(b)
                if buddyMT != mt && !(mt < MigrateType.pcpTypes && buddyMT < MigrateType.pcpTypes) { break }
            }
            delFromFreeList(b, order: order, mt: buddyMT, cpu: cpu, p)
            // Both types are mergeable here, so NR_FREE_PAGES is unchanged; only the tag moves.
            if buddyMT != mt { setBlockType(b, mt) }
            i &= b
            order += 1
            merges += 1
        }
        var toTail = fpiToTail
        if !toTail && order < K.maxOrder - 1 {
            // buddy_merge_likely(): the next-order buddy of the combined block is free.
            let higher = i & ~(1 << order)
            toTail = isFreeBuddy(higher ^ (1 << (order + 1)), order: order + 1)
        }
        addToFreeList(i, order: order, mt: mt, toTail: toTail, cpu: cpu, p)
        return merges
    }

    /// expand(): split a block of `high` down to `low`, queueing the upper halves at the head.
    /// Returns the pages put back.
    @inline(__always) func expand<P: AllocatorPolicy>(_ i: Int, low: Int, high h: Int, mt: Int, cpu: Int?, _ p: P) -> Int {
        var high = h, size = 1 << h, added = 0
        while high > low {
            high -= 1
            size >>= 1
            addToFreeList(i + size, order: high, mt: mt, toTail: false, cpu: cpu, p)
            added += size
        }
        return added
    }

    /// page_del_and_expand(): take a free block and split it to the requested order.
    @inline(__always) func delAndExpand<P: AllocatorPolicy>(_ i: Int, low: Int, high: Int, mt: Int, cpu: Int?, _ p: P) {
        lock.splitSteps += high - low
        trace.work(.splitStep, high - low)
        delFromFreeList(i, order: high, mt: mt, cpu: cpu, p)
        let kept = (1 << high) - expand(i, low: low, high: high, mt: mt, cpu: cpu, p)
        accountFreepages(-kept, mt: mt, cpu: cpu)
    }

    /// __rmqueue_smallest(): the head of the smallest non-empty list of `mt` at or above `order`.
    @inline(__always) func rmqueueSmallest<P: AllocatorPolicy>(order: Int, mt: Int, cpu: Int?, _ p: P) -> Int? {
        guard let (i, o) = smallestFree(order: order, mt: mt) else { return nil }
        delAndExpand(i, low: order, high: o, mt: mt, cpu: cpu, p)
        tracer?.emit(.zoneLocked(pfn: pfn(i), order: order, mt: mt, percpuRefill: pcpAllowedOrder(order) && mt < MigrateType.pcpTypes))
        return i
    }

    /// The block __rmqueue_smallest() would take, and its order.
    @inline(__always) func smallestFree(order: Int, mt: Int) -> (Int, Int)? {
        var o = order
        while o <= K.maxOrder {
            let h = lists.head[Zone.freeList(o, mt)]
            if h != PageStore.none { return (Int(h), o) }
            o += 1
        }
        return nil
    }

    /// Up to `count` calls of __rmqueue_smallest() that all split the smallest free block of
    /// `mt` into blocks of `order`, each block onto the tail of PCP list `l`: where the block
    /// gives `bulkMinBlocks` or more, in one pass, rmqueue_bulk()'s loop with the per-call work
    /// of the halves that come and go left out and every figure the calls change (NR_FREE_PAGES
    /// call by call) changed as they change it; otherwise one call, as it is. Returns the
    /// blocks taken (0: `mt` has no free block).
    ///
    /// Why it is exact: every list of `mt` below `high` was empty, so each call takes the
    /// lowest block of `b` not yet taken, in address order, and the halves its split queues
    /// are taken by the next calls. What stays free is `b`'s part above the last block taken,
    /// as its aligned halves, one per order, each alone on its list. Every half that came and
    /// went has its head among the blocks taken, whose entries the PCP rewrites.
    @inline(__always) func rmqueueSmallestBulk<P: OwnsNothing>(order q: Int, upTo count: Int, mt: Int, cpu: Int, list l: Int, _ p: P) -> Int {
        guard let (b, high) = smallestFree(order: q, mt: mt) else { return 0 }
        let n = min(count, 1 << (high - q))
        guard n >= Zone.bulkMinBlocks else {
            delAndExpand(b, low: q, high: high, mt: mt, cpu: cpu, p)
            enterPCP(cpu, b, order: q, mt: mt, buddy: false)
            lists.addTail(l, b, pages)
            return 1
        }
        takeInOnePass(b, high: high, count: n, order: q, mt: mt, cpu: cpu, list: l)
        return n
    }

    /// The pass of `rmqueueSmallestBulk`: `n` blocks of `order` from free block `b` of `high`.
    private func takeInOnePass(_ b: Int, high: Int, count n: Int, order q: Int, mt: Int, cpu: Int, list l: Int) {
        debugCheck(mt < MigrateType.pcpTypes, "rmqueueSmallestBulk of type \(mt)")
        let left = (1 << (high - q)) - n
        // A split makes one block two: the blocks taken and the halves left, less `b` itself.
        let splits = n + left.nonzeroBitCount - 1
        lock.splitSteps += splits
        trace.work(.splitStep, splits)
        lists.remove(Zone.freeList(high, mt), b, pages)
        nrFree[high] -= 1
        // NR_FREE_PAGES_BLOCKS in call order: `b` leaves; a MAX_PAGE_ORDER block's first split
        // queues its upper half, of pageblock order (MAX_PAGE_ORDER is pageblock order + 1),
        // and the calls that reach that half take it off again.
        if high >= K.pageblockOrder {
            modState(.nrFreePagesBlocks, cpu: cpu, -(1 << high))
            if high > K.pageblockOrder && q <= K.pageblockOrder {
                modState(.nrFreePagesBlocks, cpu: cpu, K.pageblockNrPages)
                if n > 1 << (K.pageblockOrder - q) { modState(.nrFreePagesBlocks, cpu: cpu, -K.pageblockNrPages) }
            }
        }
        // One NR_FREE_PAGES change a call: the CPU's delta folds into the zone's where the
        // calls would have folded it.
        vmStat.mod(ZoneStat.nrFreePages.rawValue, cpu: cpu, -(1 << q), threshold: statThreshold, times: n)
        lists.addPCPRun(l, first: b, count: n, order: q, cpu: cpu, mt: mt, pages)
        // The halves left, smallest first from the end of the last block taken.
        var rest = left, at = b + n << q, o = q
        while rest != 0 {
            if rest & 1 != 0 {
                pages.set(at, .buddy, order: o)
                lists.addHead(Zone.freeList(o, mt), at, pages)
                nrFree[o] += 1
                at += 1 << o
            }
            rest >>= 1
            o += 1
        }
    }

    /// The fewest blocks `rmqueueSmallestBulk` takes from one free block.
    static let bulkMinBlocks = 4
}
