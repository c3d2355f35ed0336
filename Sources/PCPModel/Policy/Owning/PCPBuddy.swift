extension Policy {
    /// The April 2026 RFC "mm: page_alloc: pcp buddy allocator" (Weiner): PCPs claim whole
    /// pageblocks and own them, frees route back to the owner, buddies merge under pcp->lock,
    /// a four-phase refill (owned fragments, whole blocks, unowned chunks, __rmqueue).
    public static let pcpBuddy = Policy(PCPBuddy.self)
}

/// pcp-buddy, the RFC as posted: ownership, routing and the buddy area are `OwningPolicy`'s;
/// its own are the four-phase refill and the phases' counters.
final class PCPBuddy: OwningPolicy {
    static let name = "pcp-buddy"
    unowned(unsafe) let machine: Machine
    let owned: OwnedBlocks
    /// Per zone: pages each refill phase (0-3) brought to PCPs (zone id * 4 + phase).
    let phasePages: FixedArray<Int>

    init(machine m: Machine) {
        machine = m
        owned = OwnedBlocks(m)
        phasePages = FixedArray(zeroed: m.zones.count * 4)
    }

    func servesFromPCP(order: Int) -> Bool { pcpAllowedOrder(order) }
    var drainsAllOnRetry: Bool { true }
    var drainsWholeBlocksOnly: Bool { false }

    func refill(_ z: Zone, cpu: Int, order: Int, need: Int, mt: Int, flags: AllocFlags) -> Int? {
        refillFourPhases(z, cpu: cpu, order: order, pages: need, mt: mt, flags: flags)
        return owned.takeFromPCP(z, cpu, order: order, mt: mt)
    }

    /// Pages each refill phase brought to PCPs of zone `z`.
    func refillPhasePages(_ z: Zone) -> [Int] { (0..<4).map { phasePages[z.id * 4 + $0] } }

    func figures(_ z: Zone) -> PolicyFigures {
        var f = ownedFigures(z)
        f.refillPhasePages = refillPhasePages(z)
        return f
    }

    /// rmqueue_bulk() of the RFC, in four phases under one zone->lock hold:
    /// 0. recover this CPU's owned fragments of this type from the zone (they merge on the PCP);
    /// 1. claim whole free pageblocks of this type (owned);
    /// 2. take sub-pageblock chunks of this type without stealing, split on the PCP after the
    ///    zone->lock is dropped (cached only, not owned);
    /// 3. the old __rmqueue() with migratetype fallback for what is still missing.
    func refillFourPhases(_ z: Zone, cpu: Int, order: Int, pages need: Int, mt: Int, flags: AllocFlags) {
        let s = owned
        var got = 0
        var chunks: [(Int, Int)] = []
        z.lockZone()
        z.lock.refills += 1
        var phase = [0, 0, 0, 0]
        // Phase 0: owned_blocks, skipping blocks of another type.
        var b = s.ownedHead[s.slot(z, cpu)]
        while b >= 0 && got < need {
            let next = s.ownedNext[s.block(z, Int(b))]
            if z.blockType(Int(b) << K.pageblockOrder) == mt { got += recoverFragments(z, cpu: cpu, block: Int(b), mt: mt) }
            b = next
        }
        phase[0] = got
        // Phase 1: whole blocks of this type.
        while got < need, let i = z.rmqueueSmallest(order: K.pageblockOrder, mt: mt, cpu: cpu, self) {
            s.setOwner(z, block: i >> K.pageblockOrder, cpu)
            s.pcpBuddyFree(z, cpu, i, order: K.pageblockOrder, mt: mt)
            got += K.pageblockNrPages
        }
        phase[1] = got - phase[0]
        // Phase 2: sub-pageblock chunks of this type, no fallback.
        if pcpAllowedOrder(order) {
            while got < need, let (i, o) = takeChunk(z, order: order, mt: mt, cpu: cpu) {
                chunks.append((i, o))
                got += 1 << o
            }
        }
        phase[2] = got - phase[0] - phase[1]
        // Phase 3: __rmqueue with fallback, one block of the requested order at a time.
        var mode = RmqueueMode.normal
        let l = z.pcpList(cpu, orderToPindex(mt, order))
        while got < need, pcpAllowedOrder(order), let i = z.rmqueue(order: order, mt: mt, flags: flags, mode: &mode, cpu: cpu, self) {
            z.enterPCP(cpu, i, order: order, mt: mt, buddy: false)
            z.lists.addTail(l, i, z.pages)
            got += 1 << order
        }
        phase[3] = got - phase[0] - phase[1] - phase[2]
        for k in 0..<4 { phasePages[z.id * 4 + k] += phase[k] }
        z.lock.pagesMoved += got
        z.lock.refillPages += got
        z.trace.work(.pageMoved, got)
        z.unlockZone()
        // Phase 2's chunks are split into order-sized pages outside zone->lock.
        for (i, o) in chunks {
            let n = 1 << (o - order)
            for k in 0..<n {
                let p = i + (k << order)
                z.enterPCP(cpu, p, order: order, mt: mt, buddy: false)
                z.lists.addTail(l, p, z.pages)
            }
            z.trace.work(.splitStep, o - order)
            z.trace.work(.listOp, n)
        }
        z.addPCPCount(cpu, got)
    }

    /// Phase 2's take: a chunk of `mt` between the request and pageblock order, largest first
    /// (or smallest first, per the phase2LargestFirst knob), taken whole from the zone.
    func takeChunk(_ z: Zone, order: Int, mt: Int, cpu: Int) -> (Int, Int)? {
        let n = K.pageblockOrder - order
        for k in 0..<n {
            let o = machine.pcpBuddyOptions.phase2LargestFirst ? K.pageblockOrder - 1 - k : order + k
            let l = Zone.freeList(o, mt)
            if z.lists.isEmpty(l) { continue }
            let i = Int(z.lists.head[l])
            z.delFromFreeList(i, order: o, mt: mt, cpu: cpu, self)
            z.accountFreepages(-(1 << o), mt: mt, cpu: cpu)
            return (i, o)
        }
        return nil
    }

    /// Phase 0 for one block: every free fragment of it in the zone goes back to the owner's
    /// buddy area, where it merges. Returns the pages recovered.
    func recoverFragments(_ z: Zone, cpu: Int, block b: Int, mt: Int) -> Int {
        var p = b << K.pageblockOrder, got = 0
        let end = p + K.pageblockNrPages
        while p < end {
            if z.pages.state(p) == .buddy {
                let o = z.pages.order(p)
                z.delFromFreeList(p, order: o, mt: mt, cpu: cpu, self)
                z.accountFreepages(-(1 << o), mt: mt, cpu: cpu)
                owned.pcpBuddyFree(z, cpu, p, order: o, mt: mt)
                got += 1 << o
                p += 1 << o
            } else {
                p += z.pages.state(p) == .tail || z.pages.state(p) == .reserved ? 1 : 1 << z.pages.order(p)
            }
        }
        return got
    }
}
