/// block-economy (Zi Yan's radical alternative in the RFC thread): the zone buddy deals only
/// in whole pageblocks; all splitting and merging happens on PCPs; a PCP that runs dry takes
/// whole blocks from the zone, then whole free blocks from other PCPs, then (instead of
/// drain_all_pages) just the page it needs from the richest PCP.
///
/// Choices made here: "nearest" means same node first, then by CPU number distance; "richest"
/// means the most pages of the wanted type in its buddy area; a stolen whole block changes
/// owner, a stolen smaller piece stays owned by the victim (its free goes back there).
extension Zone {
    /// The refill: whole blocks of the type, then whole blocks claimed from other types, then
    /// whole free blocks from other PCPs, nearest first.
    func refillWholeBlocks(_ cpu: Int, pages need: Int, mt: Int, flags: AllocFlags) {
        var got = 0
        // The zone holds only whole blocks here: when it has none (a racy read, like the
        // kernel's free_area checks), go straight to the other PCPs without zone->lock.
        if nrFree[K.pageblockOrder] + nrFree[K.maxOrder] > 0 {
            lockZone()
            lock.refills += 1
            got = takeWholeBlocks(cpu, pages: need, mt: mt)
            unlockZone()
            pcp[cpu].count += got
        }
        guard got < need else { return }
        for victim in stealOrder(cpu) where got < need {
            let l = buddyList(victim, K.pageblockOrder, mt)
            guard !lists.isEmpty(l) else { continue }
            lockPCP(victim)
            while got < need && !lists.isEmpty(l) {
                let i = Int(lists.head[l])
                lists.remove(l, i, pages)
                pcp[victim].count -= K.pageblockNrPages
                pages.setTail(i)
                own(cpu, i, mt: mt)
                pcp[cpu].count += K.pageblockNrPages
                got += K.pageblockNrPages
                stolenBlocks += 1
            }
            unlockPCP(victim)
        }
    }

    /// Under zone->lock: whole blocks of the type, then whole blocks claimed from other types.
    func takeWholeBlocks(_ cpu: Int, pages need: Int, mt: Int) -> Int {
        var got = 0
        while got < need, let i = rmqueueSmallest(order: K.pageblockOrder, mt: mt, cpu: cpu) {
            own(cpu, i, mt: mt)
            got += K.pageblockNrPages
        }
        while got < need, let i = rmqueueClaim(order: K.pageblockOrder, startType: mt, flags: .noFragment, cpu: cpu) {
            own(cpu, i, mt: mt)
            got += K.pageblockNrPages
        }
        lock.pagesMoved += got
        lock.refillPages += got
        trace?.work(.pageMoved, got)
        return got
    }

    @inline(__always) func own(_ cpu: Int, _ i: Int, mt: Int) {
        setOwner(block: i >> K.pageblockOrder, cpu)
        pcpBuddyFree(cpu, i, order: K.pageblockOrder, mt: mt)
    }

    /// Only what is needed, from the PCP with the most pages of the type in its buddy area.
    func stealOne(_ cpu: Int, order: Int, mt: Int) -> Int? {
        var best = -1, most = 0
        for c in 0..<nrCPUs where c != cpu {
            var n = 0
            for o in order...K.pageblockOrder { n += lists.length[buddyList(c, o, mt)] << o }
            if n > most { most = n; best = c }
        }
        guard best >= 0 else { return nil }
        lockPCP(best)
        defer { unlockPCP(best) }
        guard let i = pcpBuddyTake(best, order: order, mt: mt) else { return nil }
        pcp[best].count -= 1 << order
        stolenPieces += 1
        return i
    }

    /// Other CPUs, nearest first: the same node, then by distance in CPU number (computed once
    /// per CPU).
    func stealOrder(_ cpu: Int) -> [Int] {
        if stealOrders.isEmpty {
            stealOrders = (0..<nrCPUs).map { c in
                (0..<nrCPUs).filter { $0 != c }.sorted {
                    let a = (cpuNodes[$0] != cpuNodes[c] ? 1 : 0, abs($0 - c), $0)
                    let b = (cpuNodes[$1] != cpuNodes[c] ? 1 : 0, abs($1 - c), $1)
                    return a < b
                }
            }
        }
        return stealOrders[cpu]
    }
}
