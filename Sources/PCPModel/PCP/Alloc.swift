/// The PCP allocation side (mm/page_alloc.c, 6.18).
extension Zone {
    /// nr_pcp_alloc(): how many order-sized blocks a refill pulls, growing `high` and
    /// alloc_factor while order-0 allocations run without frees.
    @inline(__always) func nrPCPAlloc(_ cpu: Int, order: Int) -> Int {
        let baseBatch = pcp[cpu].batch
        let highMin = pcp[cpu].highMin, highMax = pcp[cpu].highMax
        var high = clamp(pcp[cpu].high, highMin, highMax)
        pcp[cpu].high = high
        if high < baseBatch { return 1 }
        var batch = order > 0 ? baseBatch : baseBatch << pcp[cpu].allocFactor
        if highMin != highMax && !belowHigh {
            high = min(high + batch, highMax)
            pcp[cpu].high = high
        }
        if order == 0 {
            let maxNrAlloc = max(high - pcp[cpu].count - baseBatch, baseBatch)
            if batch <= maxNrAlloc && pcp[cpu].allocFactor < K.pcpBatchScaleMax {
                pcp[cpu].allocFactor += 1
            }
            batch = min(batch, maxNrAlloc)
        }
        if batch > 1 { batch = max(batch >> order, 2) }
        return batch
    }

    /// rmqueue_bulk(): one zone->lock hold, up to `count` blocks appended to the PCP list's tail
    /// so the list stays in physical order. Returns the blocks taken. Blocks of `mt` come from
    /// `rmqueueSmallestBulk`, several calls' worth at a time, unless a tracer wants each call's
    /// event; designs that own nothing do not watch the free lists, so the halves that come
    /// and go unseen change nothing of theirs. The fallbacks go call by call.
    func rmqueueBulk<P: OwnsNothing>(_ cpu: Int, order: Int, count: Int, list l: Int, mt: Int, flags: AllocFlags, _ p: P) -> Int {
        lockZone()
        lock.refills += 1
        var mode = RmqueueMode.normal
        var taken = 0
        let whole = tracer == nil
        while taken < count {
            if whole && mode == .normal {
                let n = rmqueueSmallestBulk(order: order, upTo: count - taken, mt: mt, cpu: cpu, list: l, p)
                if n > 0 {
                    taken += n
                    continue
                }
            }
            guard let i = rmqueue(order: order, mt: mt, flags: flags, mode: &mode, cpu: cpu, p) else { break }
            enterPCP(cpu, i, order: order, mt: mt, buddy: false)
            lists.addTail(l, i, pages)
            taken += 1
        }
        lock.pagesMoved += taken << order
        lock.refillPages += taken << order
        trace.work(.pageMoved, taken << order)
        unlockZone()
        return taken
    }

    /// __rmqueue_pcplist(): the head of this CPU's list, refilled in bulk
    /// from the buddy when empty. nil sends the caller to rmqueue_buddy.
    @inline(always) func rmqueuePCPList<P: OwnsNothing>(_ cpu: Int, order: Int, mt: Int, flags: AllocFlags, _ p: P) -> Int? {
        let l = pcpList(cpu, orderToPindex(mt, order))
        if lists.isEmpty(l) {
            // Following 7.3: a HIGHATOMIC request does not refill (6.18 unknown).
            if flags.contains(.highAtomic) { return nil }
            let n = nrPCPAlloc(cpu, order: order)
            let got = rmqueueBulk(cpu, order: order, count: n, list: l, mt: mt, flags: flags, p)
            addPCPCount(cpu, got << order)
            if lists.isEmpty(l) { return nil }
        }
        let i = Int(lists.head[l])
        lists.remove(l, i, pages)
        trace.work(.listOp, 1)
        addPCPCount(cpu, -(1 &<< order))
        return i
    }

    /// rmqueue_buddy(): straight from the buddy under zone->lock (orders PCPs don't keep, or a
    /// PCP miss), with the HIGHATOMIC reserve for the requests entitled to it.
    func rmqueueBuddy<P: AllocatorPolicy>(_ cpu: Int, order: Int, mt: Int, flags: AllocFlags, _ p: P) -> Int? {
        lockZone()
        defer { unlockZone() }
        var page: Int?
        if flags.contains(.highAtomic) {
            page = rmqueueSmallest(order: order, mt: MigrateType.highAtomic.rawValue, cpu: cpu, p)
        }
        if page == nil {
            var mode = RmqueueMode.normal
            page = rmqueue(order: order, mt: mt, flags: flags, mode: &mode, cpu: cpu, p)
            if page == nil && !flags.isDisjoint(with: [.oom, .nonBlock]) {
                page = rmqueueSmallest(order: order, mt: MigrateType.highAtomic.rawValue, cpu: cpu, p)
            }
        }
        if page != nil {
            lock.pagesMoved += 1 << order
            trace.work(.pageMoved, 1 << order)
        }
        return page
    }
}

@inline(__always) func clamp(_ v: Int, _ lo: Int, _ hi: Int) -> Int { min(max(v, lo), hi) }
