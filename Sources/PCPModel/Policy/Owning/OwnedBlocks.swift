/// What an owning design (pcp-buddy, block-economy) keeps beside the shared structures, for
/// every zone: the owned_blocks lists of RFC 2/2, each PCP's buddy area (BuddyArea.swift) and
/// the routed-free counters. The owner itself is the shared pageblock data's owner field, as
/// in the RFC's struct pageblock_data. Flat arrays over all zones: a zone's pageblocks start
/// at `blockBase[zone id]`, its per-CPU entries at `zone id * cpus`.
///
/// Choices the posting leaves open, made here: the owner is a CPU index (-1: none; the later
/// superpageblock series stores cpu + 1 with 0 = none, the same thing); a block joins its
/// owner's owned_blocks when a fragment reaches the zone and leaves it when phase 0 recovers
/// its fragments or the fragments are taken by someone else; ownership ends when the whole
/// block is free again in one piece, on the PCP being drained or in the zone.
final class OwnedBlocks {
    let cpus: Int
    /// Per zone: where its pageblocks start in the per-block arrays.
    let blockBase: FixedArray<Int>
    /// owned_blocks: per zone and CPU, pageblocks it owns that have fragments in the zone buddy,
    /// as a doubly linked list of zone pageblock numbers through ownedNext/ownedPrev (-1 ends;
    /// -2 in ownedPrev: not listed).
    let ownedHead: FixedArray<Int32>
    let ownedNext: FixedArray<Int32>
    let ownedPrev: FixedArray<Int32>
    /// Per pageblock: pages of an owned block that sit on the zone's free lists.
    let fragPages: FixedArray<Int32>
    /// The PCPs' buddy areas: per zone and CPU, one list per order 0-9 and PCP migratetype.
    let area: ListSet
    /// Per zone and CPU: pages in its buddy area, all orders and types (derived from `area`:
    /// a drain asks for it, and summing the area's 30 lists was 3% of a block-economy run).
    let areaPages: FixedArray<Int>
    /// Per zone: frees that went to another CPU's PCP because that CPU owns the block, and
    /// those whose owner had not allocated from the zone for a stat interval (the page goes
    /// home to a CPU that is not using its cache).
    let routedFrees: FixedArray<Int>
    let routedFreesOwnerCold: FixedArray<Int>
    /// Per zone and CPU: routed frees it received as owner, and routed frees it sent away.
    let routedIn: FixedArray<Int>
    let routedOut: FixedArray<Int>
    /// Per zone and CPU: simulated time of its last allocation from the zone (ns).
    let lastAllocNs: FixedArray<Int64>

    init(_ m: Machine) {
        cpus = m.nrCPUs
        var bases = [0]
        for z in m.zones { bases.append(bases.last! + z.pageblocks.count) }
        blockBase = FixedArray(bases)
        let blocks = bases.last!, slots = m.zones.count * m.nrCPUs
        ownedHead = FixedArray(repeating: -1, count: slots)
        ownedNext = FixedArray(repeating: -1, count: blocks)
        ownedPrev = FixedArray(repeating: -2, count: blocks)
        fragPages = FixedArray(zeroed: blocks)
        area = ListSet(count: slots * OwnedBlocks.buddyOrders * MigrateType.pcpTypes)
        areaPages = FixedArray(zeroed: slots)
        routedFrees = FixedArray(zeroed: m.zones.count)
        routedFreesOwnerCold = FixedArray(zeroed: m.zones.count)
        routedIn = FixedArray(zeroed: slots)
        routedOut = FixedArray(zeroed: slots)
        lastAllocNs = FixedArray(zeroed: slots)
    }

    /// Index of zone `z`'s pageblock `b` in the per-block arrays.
    @inline(__always) func block(_ z: Zone, _ b: Int) -> Int { blockBase[z.id] + b }
    /// Index of zone `z`'s CPU `cpu` in the per-CPU arrays.
    @inline(__always) func slot(_ z: Zone, _ cpu: Int) -> Int { z.id * cpus + cpu }
    /// How many of `area`'s lists each zone has: zone `id`'s start at `id` times this.
    var areaListsPerZone: Int { cpus * OwnedBlocks.buddyOrders * MigrateType.pcpTypes }

    func setOwner(_ z: Zone, block b: Int, _ cpu: Int) {
        if z.owner(ofBlock: b) >= 0 { releaseOwnership(z, block: b) }
        z.pageblocks[b].owner = Int32(cpu)
    }

    /// The block stops being owned: it leaves the owner's owned_blocks.
    func releaseOwnership(_ z: Zone, block b: Int) {
        let o = z.owner(ofBlock: b)
        guard o >= 0 else { return }
        unlinkOwned(z, b, owner: o)
        z.pageblocks[b].owner = -1
        fragPages[block(z, b)] = 0
    }

    /// Keeps fragPages and owned_blocks in step with an owned block's pages entering (+) or
    /// leaving (-) the zone's free lists.
    @inline(__always) func fragmentChanged(_ z: Zone, _ i: Int, order: Int, _ delta: Int) {
        if order >= K.pageblockOrder {
            // A whole block (or more) in the zone in one piece: ownership ends.
            if delta > 0 { for b in (i >> K.pageblockOrder)..<((i + (1 << order)) >> K.pageblockOrder) { releaseOwnership(z, block: b) } }
            return
        }
        let b = i >> K.pageblockOrder
        let o = z.owner(ofBlock: b)
        guard o >= 0 else { return }
        let k = block(z, b)
        fragPages[k] += Int32(delta)
        if fragPages[k] > 0 {
            if ownedPrev[k] == -2 { linkOwned(z, b, owner: o) }
        } else {
            unlinkOwned(z, b, owner: o)
        }
    }

    func linkOwned(_ z: Zone, _ b: Int, owner o: Int) {
        let k = block(z, b), h = slot(z, o)
        ownedPrev[k] = -1
        ownedNext[k] = ownedHead[h]
        if ownedHead[h] >= 0 { ownedPrev[block(z, Int(ownedHead[h]))] = Int32(b) }
        ownedHead[h] = Int32(b)
    }

    func unlinkOwned(_ z: Zone, _ b: Int, owner o: Int) {
        let k = block(z, b)
        guard ownedPrev[k] != -2 else { return }
        let p = ownedPrev[k], n = ownedNext[k]
        if p >= 0 { ownedNext[block(z, Int(p))] = n } else { ownedHead[slot(z, o)] = n }
        if n >= 0 { ownedPrev[block(z, Int(n))] = p }
        ownedPrev[k] = -2
        ownedNext[k] = -1
    }

    /// Whether zone `z`'s pageblock `b` is on its owner's owned_blocks.
    @inline(__always) func isListed(_ z: Zone, _ b: Int) -> Bool { ownedPrev[block(z, b)] != -2 }

    /// Every block of the zone unowned (a policy switch, after every PCP was emptied).
    func dropOwnership(_ z: Zone) {
        for b in z.pageblocks.indices where z.owner(ofBlock: b) >= 0 { releaseOwnership(z, block: b) }
    }

    /// Blocks on a CPU's owned_blocks list in zone `z`.
    func ownedBlocksCount(_ z: Zone, cpu: Int) -> Int {
        var n = 0, b = ownedHead[slot(z, cpu)]
        while b >= 0 { n += 1; b = ownedNext[block(z, Int(b))] }
        return n
    }

    /// Blocks of zone `z` owned by a CPU, listed or not.
    func blocksOwned(_ z: Zone, by cpu: Int) -> Int {
        z.pageblocks.indices.reduce(0) { $0 + (z.owner(ofBlock: $1) == cpu ? 1 : 0) }
    }
}
