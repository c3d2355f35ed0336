/// The designs whose PCPs own pageblocks (RFC 2/2's pcp-buddy, and block-economy): they share
/// ownership, the buddy area, frees routed to the owner, the owned drain, their checks and
/// figures. Each says how its PCP refills and whether its drains keep fragments.
protocol OwningPolicy: AllocatorPolicy {
    /// What the design owns, in every zone.
    var owned: OwnedBlocks { get }
    /// Whether a drain sends only whole blocks to the zone and cached pages of owned blocks
    /// home (a forced drain, for a policy switch, sends everything).
    var drainsWholeBlocksOnly: Bool { get }
    /// Refills `cpu`'s PCP with `need` pages after a request of `order` found nothing there;
    /// returns the block for the request (nil: it goes to the buddy).
    func refill(_ z: Zone, cpu: Int, order: Int, need: Int, mt: Int, flags: AllocFlags) -> Int?
}

extension OwningPolicy {
    func rmqueuePCP(_ z: Zone, cpu: Int, order: Int, mt: Int, flags: AllocFlags) -> Int? {
        rmqueuePCPBuddy(z, cpu: cpu, order: order, mt: mt, flags: flags)
    }

    /// rmqueue_pcplist() under the owning designs: the cached-only list first, then the buddy
    /// area (splitting on the PCP), then the design's refill.
    @inline(__always) func rmqueuePCPBuddy(_ z: Zone, cpu: Int, order: Int, mt: Int, flags: AllocFlags) -> Int? {
        if let i = owned.takeFromPCP(z, cpu, order: order, mt: mt) { return i }
        if flags.contains(.highAtomic) { return nil }
        return refill(z, cpu: cpu, order: order, need: z.nrPCPAlloc(cpu, order: order) << order, mt: mt, flags: flags)
    }

    @inline(__always) func allocated(_ z: Zone, cpu: Int, now: Int64) { owned.lastAllocNs[owned.slot(z, cpu)] = now }

    @inline(__always) func freeListChanged(_ z: Zone, _ i: Int, order: Int, pages: Int) {
        owned.fragmentChanged(z, i, order: order, pages)
    }

    func release(_ m: Machine) { for z in m.zones { owned.dropOwnership(z) } }

    /// A PagePCPBuddy chunk leaves the buddy area, a cached-only page its list.
    func takeOffPCP(_ z: Zone, cpu: Int, _ i: Int, order: Int) {
        if z.pages.isPCPBuddy(i) {
            owned.area.remove(owned.buddyList(z, cpu, order, z.pages.kind(i)), i, z.pages)
            owned.areaPages[owned.slot(z, cpu)] &-= 1 &<< order
            z.pages.setPCPBuddy(i, false)
        } else {
            z.lists.remove(z.pcpList(cpu, orderToPindex(z.pages.kind(i), order)), i, z.pages)
        }
    }

    /// A page of an owned block goes to its owner's PCP, whichever CPU frees it, and merges
    /// there with its buddies under the owner's pcp->lock.
    func freeOwned(_ m: Machine, _ z: Zone, cpu: Int, _ i: Int, order: Int, mt: Int, pcpLockHeld: Bool) -> Bool {
        guard order <= K.pageblockOrder && mt < MigrateType.pcpTypes else { return false }
        let owner = z.owner(ofBlock: i >> K.pageblockOrder)
        guard owner >= 0 && !(pcpLockHeld && owner == cpu) else { return false }
        let s = owned
        if owner != cpu {
            s.routedFrees[z.id] += 1
            s.routedIn[s.slot(z, owner)] += 1
            s.routedOut[s.slot(z, cpu)] += 1
            // "Cold": the owner has not allocated from this zone for a stat interval.
            if m.now - s.lastAllocNs[s.slot(z, owner)] > m.statInterval { s.routedFreesOwnerCold[z.id] += 1 }
            if m.pcpBuddyOptions.remoteFreeLock == .trylock && !z.trylockPCP(owner, by: cpu) {
                z.freeOneUnderLock(cpu, i, order: order, self)
                return true
            }
        }
        z.lockPCP(owner)
        z.pcp[owner].allocFactor >>= 1
        z.addPCPCount(owner, 1 << order)
        s.pcpBuddyFree(z, owner, i, order: order, mt: mt)
        z.afterFreeCommit(owner, order: order, pindex: pcpAllowedOrder(order) ? orderToPindex(mt, order) : 0, self)
        z.unlockPCP(owner)
        return true
    }

    func freePCPPagesBulk(_ z: Zone, cpu: Int, count: Int, pindex: Int, force: Bool) {
        freePCPPagesBulkOwned(z, cpu: cpu, count: count, pindex: pindex, wholeBlocksOnly: drainsWholeBlocksOnly && !force)
    }

    /// free_pcppages_bulk() of the RFC: the cached-only lists first (oldest first,
    /// round-robin as in 6.18), then the buddy area largest chunk first, so fewer and larger
    /// chunks reach zone->lock. A whole block leaves its owner; a smaller chunk becomes a
    /// fragment on the owner's owned_blocks. With `wholeBlocksOnly` (block-economy) only whole
    /// blocks go to the zone and cached pages of owned blocks go home to their owner instead.
    func freePCPPagesBulkOwned(_ z: Zone, cpu: Int, count requested: Int, pindex start: Int, wholeBlocksOnly: Bool) {
        let s = owned
        var count = min(z.pcp[cpu].count, requested)
        guard count > 0 else { return }
        // zone->lock is taken at the first chunk that goes to the zone: a block-economy drain
        // that only sends pages home, or finds no whole block, never takes it.
        var locked = false
        defer { if locked { z.unlockZone() } }
        var pindex = start - 1
        var regular = z.pcp[cpu].count - s.pcpBuddyPages(z, cpu)
        while count > 0 && regular > 0 {
            let l = z.nextPCPList(cpu, after: &pindex)
            let order = pindexToOrder(pindex), n = 1 << order
            repeat {
                let i = Int(z.lists.tail[l])
                z.lists.remove(l, i, z.pages)
                count -= n
                regular -= n
                z.addPCPCount(cpu, -n)
                let o = z.owner(ofBlock: i >> K.pageblockOrder)
                if wholeBlocksOnly && o >= 0 {
                    sendHome(z, i, order: order, owner: o)
                } else {
                    drainToZone(z, cpu, i, order: order, locked: &locked)
                }
            } while count > 0 && !z.lists.isEmpty(l)
        }
        var o = K.pageblockOrder
        while count > 0 && o >= (wholeBlocksOnly ? K.pageblockOrder : 0) {
            for mt in 0..<MigrateType.pcpTypes {
                let l = s.buddyList(z, cpu, o, mt)
                while count > 0 && !s.area.isEmpty(l) {
                    let i = Int(s.area.tail[l])
                    s.area.remove(l, i, z.pages)
                    s.areaPages[s.slot(z, cpu)] &-= 1 &<< o
                    z.pages.setPCPBuddy(i, false)
                    count -= 1 << o
                    z.addPCPCount(cpu, -(1 << o))
                    if o == K.pageblockOrder { s.releaseOwnership(z, block: i >> K.pageblockOrder) }
                    drainToZone(z, cpu, i, order: o, locked: &locked)
                }
            }
            o -= 1
        }
    }

    /// A drained chunk into the zone, taking zone->lock first if this drain has not yet.
    @inline(__always) func drainToZone(_ z: Zone, _ cpu: Int, _ i: Int, order: Int, locked: inout Bool) {
        if !locked { z.lockZone(); z.lock.drains += 1; locked = true }
        z.toZone(cpu, i, order: order, self)
    }

    /// A page of an owned block returns to its owner's buddy area (owner's pcp->lock).
    func sendHome(_ z: Zone, _ i: Int, order: Int, owner o: Int) {
        let mt = z.blockType(i)
        guard mt < MigrateType.pcpTypes else { z.toZone(o, i, order: order, self); return }
        z.lockPCP(o)
        z.addPCPCount(o, 1 << order)
        owned.pcpBuddyFree(z, o, i, order: order, mt: mt)
        z.unlockPCP(o)
    }
}
