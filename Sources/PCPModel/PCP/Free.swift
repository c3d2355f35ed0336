/// The PCP free side (mm/page_alloc.c, 6.18).
extension Zone {
    /// nr_pcp_high(): the count at which a free drains, adapting pcp->high to the free pattern.
    @inline(__always) func nrPCPHigh(_ cpu: Int, batch: Int, freeHigh: Bool) -> Int {
        let highMin = pcp[cpu].highMin, highMax = pcp[cpu].highMax
        var high = clamp(pcp[cpu].high, highMin, highMax)
        pcp[cpu].high = high
        if high == 0 { return 0 }
        if freeHigh {
            pcp[cpu].high = max(high - (batch << K.pcpBatchScaleMax), highMin)
            return 0
        }
        if highMin == highMax { return high }
        if belowHigh {
            let fc = max(pcp[cpu].freeCount, batch)
            pcp[cpu].high = max(high - fc, highMin)
            high = max(pcp[cpu].count, highMin)
        } else if pcp[cpu].count >= high {
            let need = pcp[cpu].freeCount + batch
            if pcp[cpu].high < need { pcp[cpu].high = clamp(need, highMin, highMax) }
        }
        return high
    }

    /// nr_pcp_free(): base pages to return; long free runs drain more per zone->lock hold.
    @inline(__always) func nrPCPFree(_ cpu: Int, batch: Int, high: Int, freeHigh: Bool) -> Int {
        if freeHigh { return min(pcp[cpu].count, batch << K.pcpBatchScaleMax) }
        if high < batch { return 1 }
        return clamp(pcp[cpu].freeCount, batch, high - batch)
    }

    /// free_frozen_page_commit() (6.18; free_unref_page_commit before 6.14): queue the page at
    /// the list head, then drain if the PCP is over its high mark. Returns pages drained.
    @inline(always) func freeFrozenPageCommit<P: AllocatorPolicy>(_ cpu: Int, _ i: Int, mt: Int, order: Int, _ p: P) {
        pcp[cpu].allocFactor >>= 1
        let pindex = orderToPindex(mt, order)
        lists.addPCPHead(pcpList(cpu, pindex), i, order: order, cpu: cpu, mt: mt, pages)
        trace.work(.listOp, 1)
        addPCPCount(cpu, 1 &<< order)
        afterFreeCommit(cpu, order: order, pindex: pindex, p)
    }

    /// The second half of the free commit: free_count, the PCPF flags, nr_pcp_high and the
    /// drain when the PCP is over it.
    @inline(always) func afterFreeCommit<P: AllocatorPolicy>(_ cpu: Int, order: Int, pindex: Int, _ p: P) {
        let batch = pcp[cpu].batch
        var freeHigh = false
        if order > 0 && order <= K.costlyOrder {
            // The + high_min/2 term arrived in 6.16 ("increase pcp->free_count threshold").
            let f = pcp[cpu].flags
            freeHigh = pcp[cpu].freeCount >= batch + pcp[cpu].highMin / 2
                && f & PerCPUPages.prevFreeHighOrder != 0
                && (f & PerCPUPages.freeHighBatch == 0 || pcp[cpu].count >= batch)
            pcp[cpu].flags |= PerCPUPages.prevFreeHighOrder
        } else {
            pcp[cpu].flags &= ~PerCPUPages.prevFreeHighOrder
        }
        if pcp[cpu].freeCount < batch << K.pcpBatchScaleMax { pcp[cpu].freeCount &+= 1 &<< order }
        let high = nrPCPHigh(cpu, batch: batch, freeHigh: freeHigh)
        if pcp[cpu].count < high { return }
        // One free_pcppages_bulk() call: 6.18.y kept it (only decay's batching, fc4b909c368f,
        // was backported), and the thp capture's order-9 drains come five entries per commit.
        p.freePCPPagesBulk(self, cpu: cpu, count: nrPCPFree(cpu, batch: batch, high: high, freeHigh: freeHigh), pindex: pindex, force: false)
        if belowHigh && zoneWatermarkOK(order: 0, mark: highWmark, highestZoneIdx: ZoneType.movable.rawValue, flags: [], free: pageState(.nrFreePages)) {
            belowHigh = false
        }
    }

    /// free_pcppages_bulk() of 6.18: under one zone->lock hold, take entries from the list
    /// tails (oldest first), round-robin from `pindex`, and merge each into the buddy.
    func freePCPPagesBulkBaseline<P: AllocatorPolicy>(_ cpu: Int, count requested: Int, pindex start: Int, _ p: P) {
        var count = min(pcp[cpu].count, requested)
        guard count > 0 else { return }
        lockZone()
        lock.drains += 1
        defer { unlockZone() }
        var pindex = start - 1
        while count > 0 {
            let l = nextPCPList(cpu, after: &pindex)
            let order = pindexToOrder(pindex)
            let n = 1 << order
            repeat {
                let i = Int(lists.tail[l])
                lists.remove(l, i, pages)
                count -= n
                addPCPCount(cpu, -n)
                toZone(cpu, i, order: order, p)
            } while count > 0 && !lists.isEmpty(l)
        }
    }

    /// One drained block into the zone buddy under the held zone->lock (__free_one_page with
    /// the block's fresh type, and mm_page_pcpu_drain): every design's drain ends here.
    @inline(__always) func toZone<P: AllocatorPolicy>(_ cpu: Int, _ i: Int, order: Int, _ p: P) {
        lock.pagesMoved += 1 << order
        trace.work(.pageMoved, 1 << order)
        let mt = blockType(i)
        tracer?.emit(.pcpuDrain(pfn: pfn(i), order: order, mt: mt))
        let m = freeOneBuddy(i, order: order, mt: mt, toTail: false, cpu: cpu, p)
        lock.mergeSteps += m
        trace.work(.mergeStep, m)
    }

    /// The round robin of the drain: the next non-empty list after `pindex`, wrapping at
    /// NR_PCP_LISTS (the caller knows one is non-empty).
    @inline(__always) func nextPCPList(_ cpu: Int, after pindex: inout Int) -> Int {
        while true {
            pindex += 1
            if pindex > K.nrPCPLists - 1 { pindex = 0 }
            let l = pcpList(cpu, pindex)
            if !lists.isEmpty(l) { return l }
        }
    }

    /// free_one_page() + split_large_buddy(): a free that bypasses the PCP, under zone->lock.
    /// Blocks above pageblock order go back one pageblock at a time, each with its own type.
    func freeOneUnderLock<P: AllocatorPolicy>(_ cpu: Int, _ i: Int, order: Int, _ policy: P) {
        lockZone()
        defer { unlockZone() }
        lock.pagesMoved += 1 << order
        trace.work(.pageMoved, 1 << order)
        let o = min(order, K.pageblockOrder)
        var p = i
        while p < i + (1 << order) {
            let merges = freeOneBuddy(p, order: o, mt: blockType(p), toTail: false, cpu: cpu, policy)
            lock.mergeSteps += merges
            trace.work(.mergeStep, merges)
            p += 1 << o
        }
    }
}
