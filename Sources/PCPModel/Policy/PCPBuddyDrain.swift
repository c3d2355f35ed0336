/// Draining a PCP under the owning policies.
extension Zone {
    /// free_pcppages_bulk() of the RFC: the cached-only lists first (oldest first,
    /// round-robin as in 6.18), then the buddy area largest chunk first, so fewer and larger
    /// chunks reach zone->lock. A whole block leaves its owner; a smaller chunk becomes a
    /// fragment on the owner's owned_blocks. Under block-economy (`wholeBlocksOnly`) only whole
    /// blocks go to the zone and cached pages of owned blocks go home to their owner instead.
    func freePCPPagesBulkOwned(_ cpu: Int, count requested: Int, pindex start: Int, wholeBlocksOnly: Bool) {
        var count = min(pcp[cpu].count, requested)
        guard count > 0 else { return }
        // zone->lock is taken at the first chunk that goes to the zone: a block-economy drain
        // that only sends pages home, or finds no whole block, never takes it.
        var locked = false
        defer { if locked { unlockZone() } }
        @inline(__always) func zone(_ i: Int, _ order: Int) {
            if !locked { lockZone(); lock.drains += 1; locked = true }
            toZone(cpu, i, order: order)
        }
        var pindex = start - 1
        var regular = pcp[cpu].count - pcpBuddyPages(cpu)
        while count > 0 && regular > 0 {
            let l = nextPCPList(cpu, after: &pindex)
            let order = pindexToOrder(pindex), n = 1 << order
            repeat {
                let i = Int(lists.tail[l])
                lists.remove(l, i, pages)
                count -= n
                regular -= n
                pcp[cpu].count -= n
                let o = owner(ofBlock: i >> K.pageblockOrder)
                if wholeBlocksOnly && o >= 0 {
                    sendHome(i, order: order, owner: o)
                } else {
                    zone(i, order)
                }
            } while count > 0 && !lists.isEmpty(l)
        }
        var o = K.pageblockOrder
        while count > 0 && o >= (wholeBlocksOnly ? K.pageblockOrder : 0) {
            for mt in 0..<MigrateType.pcpTypes {
                let l = buddyList(cpu, o, mt)
                while count > 0 && !lists.isEmpty(l) {
                    let i = Int(lists.tail[l])
                    lists.remove(l, i, pages)
                    pages.setPCPBuddy(i, false)
                    count -= 1 << o
                    pcp[cpu].count -= 1 << o
                    if o == K.pageblockOrder { releaseOwnership(block: i >> K.pageblockOrder) }
                    zone(i, o)
                }
            }
            o -= 1
        }
    }

    /// One drained block into the zone buddy under the held zone->lock (__free_one_page with
    /// the block's fresh type, and mm_page_pcpu_drain): every policy's drain ends here.
    @inline(__always) func toZone(_ cpu: Int, _ i: Int, order: Int) {
        lock.pagesMoved += 1 << order
        trace?.work(.pageMoved, 1 << order)
        let mt = blockType(i)
        tracer?.emit(.pcpuDrain(pfn: pfn(i), order: order, mt: mt))
        let m = freeOneBuddy(i, order: order, mt: mt, toTail: false, cpu: cpu)
        lock.mergeSteps += m
        trace?.work(.mergeStep, m)
    }

    /// A page of an owned block returns to its owner's buddy area (owner's pcp->lock).
    func sendHome(_ i: Int, order: Int, owner o: Int) {
        let mt = blockType(i)
        guard mt < MigrateType.pcpTypes else { toZone(o, i, order: order); return }
        lockPCP(o)
        pcp[o].count += 1 << order
        pcpBuddyFree(o, i, order: order, mt: mt)
        unlockPCP(o)
    }
}
