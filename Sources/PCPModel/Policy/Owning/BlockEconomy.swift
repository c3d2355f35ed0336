extension Policy {
    /// Zi Yan's radical version: the zone deals only in whole pageblocks; splitting and merging
    /// happen on PCPs; a dry PCP steals from others (nearest first, then the richest) instead
    /// of drain_all_pages.
    public static let blockEconomy = Policy(BlockEconomy.self)
}

/// block-economy (Zi Yan's radical alternative in the RFC thread): the zone buddy deals only
/// in whole pageblocks; all splitting and merging happens on PCPs; a PCP that runs dry takes
/// whole blocks from the zone, then whole free blocks from other PCPs, then (instead of
/// drain_all_pages) just the page it needs from the richest PCP.
///
/// Choices made here: "nearest" means same node first, then by CPU number distance; "richest"
/// means the most pages of the wanted type in its buddy area; a stolen whole block changes
/// owner, a stolen smaller piece stays owned by the victim (its free goes back there).
final class BlockEconomy: OwningPolicy {
    static let name = "block-economy"
    let owned: OwnedBlocks
    /// Per zone: whole blocks and smaller pieces taken from another CPU's PCP.
    let stolenBlocks: FixedArray<Int>
    let stolenPieces: FixedArray<Int>
    /// The node of every CPU, and each CPU's steal order (computed on first use).
    let cpuNodes: [Int]
    @exclusivity(unchecked) var stealOrders: [[Int]] = []

    init(machine m: Machine) {
        owned = OwnedBlocks(m)
        stolenBlocks = FixedArray(zeroed: m.zones.count)
        stolenPieces = FixedArray(zeroed: m.zones.count)
        cpuNodes = m.cpuNode
    }

    /// Every order below a pageblock is split on PCPs, and whole blocks are PCP pages too.
    func servesFromPCP(order: Int) -> Bool { order <= K.pageblockOrder }
    /// A dry PCP asks other PCPs for what it needs, in its refill.
    var drainsAllOnRetry: Bool { false }
    var drainsWholeBlocksOnly: Bool { true }

    func refill(_ z: Zone, cpu: Int, order: Int, need: Int, mt: Int, flags: AllocFlags) -> Int? {
        refillWholeBlocks(z, cpu: cpu, pages: need, mt: mt, flags: flags)
        return owned.takeFromPCP(z, cpu, order: order, mt: mt) ?? stealOne(z, cpu: cpu, order: order, mt: mt)
    }

    func figures(_ z: Zone) -> PolicyFigures { ownedFigures(z) }

    /// The refill: whole blocks of the type, then whole blocks claimed from other types, then
    /// whole free blocks from other PCPs, nearest first.
    func refillWholeBlocks(_ z: Zone, cpu: Int, pages need: Int, mt: Int, flags: AllocFlags) {
        let s = owned
        var got = 0
        // The zone holds only whole blocks here: when it has none (a racy read, like the
        // kernel's free_area checks), go straight to the other PCPs without zone->lock.
        if z.nrFree[K.pageblockOrder] + z.nrFree[K.maxOrder] > 0 {
            z.lockZone()
            z.lock.refills += 1
            got = takeWholeBlocks(z, cpu: cpu, pages: need, mt: mt)
            z.unlockZone()
            z.addPCPCount(cpu, got)
        }
        guard got < need else { return }
        for victim in stealOrder(cpu) where got < need {
            let l = s.buddyList(z, victim, K.pageblockOrder, mt)
            guard !s.area.isEmpty(l) else { continue }
            z.lockPCP(victim)
            while got < need && !s.area.isEmpty(l) {
                let i = Int(s.area.head[l])
                s.area.remove(l, i, z.pages)
                s.areaPages[s.slot(z, victim)] &-= K.pageblockNrPages
                z.addPCPCount(victim, -K.pageblockNrPages)
                z.pages.setTail(i)
                own(z, cpu, i, mt: mt)
                z.addPCPCount(cpu, K.pageblockNrPages)
                got += K.pageblockNrPages
                stolenBlocks[z.id] += 1
            }
            z.unlockPCP(victim)
        }
    }

    /// Under zone->lock: whole blocks of the type, then whole blocks claimed from other types.
    func takeWholeBlocks(_ z: Zone, cpu: Int, pages need: Int, mt: Int) -> Int {
        var got = 0
        while got < need, let i = z.rmqueueSmallest(order: K.pageblockOrder, mt: mt, cpu: cpu, self) {
            own(z, cpu, i, mt: mt)
            got += K.pageblockNrPages
        }
        while got < need, let i = z.rmqueueClaim(order: K.pageblockOrder, startType: mt, flags: .noFragment, cpu: cpu, self) {
            own(z, cpu, i, mt: mt)
            got += K.pageblockNrPages
        }
        z.lock.pagesMoved += got
        z.lock.refillPages += got
        z.trace.work(.pageMoved, got)
        return got
    }

    @inline(__always) func own(_ z: Zone, _ cpu: Int, _ i: Int, mt: Int) {
        owned.setOwner(z, block: i >> K.pageblockOrder, cpu)
        owned.pcpBuddyFree(z, cpu, i, order: K.pageblockOrder, mt: mt)
    }

    /// Only what is needed, from the PCP with the most pages of the type in its buddy area.
    func stealOne(_ z: Zone, cpu: Int, order: Int, mt: Int) -> Int? {
        let s = owned
        var best = -1, most = 0
        for c in 0..<z.nrCPUs where c != cpu {
            var n = 0
            for o in order...K.pageblockOrder { n += s.area.length[s.buddyList(z, c, o, mt)] << o }
            if n > most { most = n; best = c }
        }
        guard best >= 0 else { return nil }
        z.lockPCP(best)
        defer { z.unlockPCP(best) }
        guard let i = s.pcpBuddyTake(z, best, order: order, mt: mt) else { return nil }
        z.addPCPCount(best, -(1 << order))
        stolenPieces[z.id] += 1
        return i
    }

    /// Other CPUs, nearest first: the same node, then by distance in CPU number (computed once
    /// per CPU).
    func stealOrder(_ cpu: Int) -> [Int] {
        if stealOrders.isEmpty {
            stealOrders = (0..<cpuNodes.count).map { c in
                (0..<cpuNodes.count).filter { $0 != c }.sorted {
                    let a = (cpuNodes[$0] != cpuNodes[c] ? 1 : 0, abs($0 - c), $0)
                    let b = (cpuNodes[$1] != cpuNodes[c] ? 1 : 0, abs($1 - c), $1)
                    return a < b
                }
            }
        }
        return stealOrders[cpu]
    }
}
