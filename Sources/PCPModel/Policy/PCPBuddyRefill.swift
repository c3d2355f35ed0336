/// The allocation side of the owning policies.
extension Zone {
    /// rmqueue_pcplist() under pcp-buddy / block-economy: the cached-only list first, then the
    /// buddy area (splitting on the PCP), then a refill.
    func rmqueuePCPBuddy(_ cpu: Int, order: Int, mt: Int, flags: AllocFlags) -> Int? {
        pcp[cpu].freeCount >>= 1
        if let i = takeFromPCP(cpu, order: order, mt: mt) { return i }
        if flags.contains(.highAtomic) { return nil }
        let need = nrPCPAlloc(cpu, order: order) << order
        if policy == .blockEconomy {
            refillWholeBlocks(cpu, pages: need, mt: mt, flags: flags)
            return takeFromPCP(cpu, order: order, mt: mt) ?? stealOne(cpu, order: order, mt: mt)
        }
        refillFourPhases(cpu, order: order, pages: need, mt: mt, flags: flags)
        return takeFromPCP(cpu, order: order, mt: mt)
    }

    @inline(__always) func takeFromPCP(_ cpu: Int, order: Int, mt: Int) -> Int? {
        if pcpAllowedOrder(order) {
            let l = pcpList(cpu, orderToPindex(mt, order))
            if !lists.isEmpty(l) {
                let i = Int(lists.head[l])
                lists.remove(l, i, pages)
                trace?.work(.listOp, 1)
                pcp[cpu].count -= 1 << order
                return i
            }
        }
        guard order <= K.pageblockOrder, let i = pcpBuddyTake(cpu, order: order, mt: mt) else { return nil }
        pcp[cpu].count -= 1 << order
        return i
    }

    /// rmqueue_bulk() of the RFC, in four phases under one zone->lock hold:
    /// 0. recover this CPU's owned fragments of this type from the zone (they merge on the PCP);
    /// 1. claim whole free pageblocks of this type (owned);
    /// 2. take sub-pageblock chunks of this type without stealing, split on the PCP after the
    ///    zone->lock is dropped (cached only, not owned);
    /// 3. the old __rmqueue() with migratetype fallback for what is still missing.
    func refillFourPhases(_ cpu: Int, order: Int, pages need: Int, mt: Int, flags: AllocFlags) {
        var got = 0
        var chunks: [(Int, Int)] = []
        lockZone()
        lock.refills += 1
        var phase = [0, 0, 0, 0]
        // Phase 0: owned_blocks, skipping blocks of another type.
        var b = ownedHead[cpu]
        while b >= 0 && got < need {
            let next = ownedNext[Int(b)]
            if blockType(Int(b) << K.pageblockOrder) == mt { got += recoverFragments(cpu, block: Int(b), mt: mt) }
            b = next
        }
        phase[0] = got
        // Phase 1: whole blocks of this type.
        while got < need, let i = rmqueueSmallest(order: K.pageblockOrder, mt: mt, cpu: cpu) {
            setOwner(block: i >> K.pageblockOrder, cpu)
            pcpBuddyFree(cpu, i, order: K.pageblockOrder, mt: mt)
            got += K.pageblockNrPages
        }
        phase[1] = got - phase[0]
        // Phase 2: sub-pageblock chunks of this type, no fallback.
        if pcpAllowedOrder(order) {
            while got < need, let (i, o) = takeChunk(order: order, mt: mt, cpu: cpu) {
                chunks.append((i, o))
                got += 1 << o
            }
        }
        phase[2] = got - phase[0] - phase[1]
        // Phase 3: __rmqueue with fallback, one block of the requested order at a time.
        var mode = RmqueueMode.normal
        let l = pcpList(cpu, orderToPindex(mt, order))
        while got < need, pcpAllowedOrder(order), let i = rmqueue(order: order, mt: mt, flags: flags, mode: &mode, cpu: cpu) {
            enterPCP(cpu, i, order: order, mt: mt, buddy: false)
            lists.addTail(l, i, pages)
            got += 1 << order
        }
        phase[3] = got - phase[0] - phase[1] - phase[2]
        for k in 0..<4 { refillPhasePages[k] += phase[k] }
        lock.pagesMoved += got
        lock.refillPages += got
        trace?.work(.pageMoved, got)
        unlockZone()
        // Phase 2's chunks are split into order-sized pages outside zone->lock.
        for (i, o) in chunks {
            let n = 1 << (o - order)
            for k in 0..<n {
                let p = i + (k << order)
                enterPCP(cpu, p, order: order, mt: mt, buddy: false)
                lists.addTail(l, p, pages)
            }
            trace?.work(.splitStep, o - order)
            trace?.work(.listOp, n)
        }
        pcp[cpu].count += got
    }

    /// Phase 2's take: a chunk of `mt` between the request and pageblock order, largest first
    /// (or smallest first, per the phase2LargestFirst knob), taken whole from the zone.
    func takeChunk(order: Int, mt: Int, cpu: Int) -> (Int, Int)? {
        let n = K.pageblockOrder - order
        for k in 0..<n {
            let o = options.phase2LargestFirst ? K.pageblockOrder - 1 - k : order + k
            let l = Zone.freeList(o, mt)
            if lists.isEmpty(l) { continue }
            let i = Int(lists.head[l])
            delFromFreeList(i, order: o, mt: mt, cpu: cpu)
            accountFreepages(-(1 << o), mt: mt, cpu: cpu)
            return (i, o)
        }
        return nil
    }

    /// Phase 0 for one block: every free fragment of it in the zone goes back to the owner's
    /// buddy area, where it merges. Returns the pages recovered.
    func recoverFragments(_ cpu: Int, block b: Int, mt: Int) -> Int {
        var p = b << K.pageblockOrder, got = 0
        let end = p + K.pageblockNrPages
        while p < end {
            if pages.state(p) == .buddy {
                let o = pages.order(p)
                delFromFreeList(p, order: o, mt: mt, cpu: cpu)
                accountFreepages(-(1 << o), mt: mt, cpu: cpu)
                pcpBuddyFree(cpu, p, order: o, mt: mt)
                got += 1 << o
                p += 1 << o
            } else {
                p += pages.state(p) == .tail || pages.state(p) == .reserved ? 1 : 1 << pages.order(p)
            }
        }
        return got
    }
}
