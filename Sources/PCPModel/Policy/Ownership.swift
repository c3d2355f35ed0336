/// Pageblock ownership for the owning policies: the owner tag in pageblock_data, and the
/// owner's owned_blocks list of blocks with fragments in the zone buddy (RFC 2/2).
///
/// Choices the posting leaves open, made here: the owner is a CPU index (-1: none; the later
/// superpageblock series stores cpu + 1 with 0 = none, the same thing); a block joins its
/// owner's owned_blocks when a fragment reaches the zone and leaves it when phase 0 recovers
/// its fragments or the fragments are taken by someone else; ownership ends when the whole
/// block is free again in one piece, on the PCP being drained or in the zone.
extension Zone {
    @inline(__always) func owner(ofBlock b: Int) -> Int { Int(pageblocks[b].owner) }

    func setOwner(block b: Int, _ cpu: Int) {
        if pageblocks[b].owner >= 0 { releaseOwnership(block: b) }
        pageblocks[b].owner = Int32(cpu)
    }

    /// The block stops being owned: it leaves the owner's owned_blocks.
    func releaseOwnership(block b: Int) {
        let o = Int(pageblocks[b].owner)
        guard o >= 0 else { return }
        unlinkOwned(b, owner: o)
        pageblocks[b].owner = -1
        fragPages[b] = 0
    }

    /// Keeps fragPages and owned_blocks in step with an owned block's pages entering (+) or
    /// leaving (-) the zone's free lists.
    @inline(__always) func ownedFragmentChanged(_ i: Int, order: Int, _ delta: Int) {
        if order >= K.pageblockOrder {
            // A whole block (or more) in the zone in one piece: ownership ends.
            if delta > 0 { for b in (i >> K.pageblockOrder)..<((i + (1 << order)) >> K.pageblockOrder) { releaseOwnership(block: b) } }
            return
        }
        let b = i >> K.pageblockOrder
        let o = Int(pageblocks[b].owner)
        guard o >= 0 else { return }
        fragPages[b] += Int32(delta)
        if fragPages[b] > 0 {
            if ownedPrev[b] == -2 { linkOwned(b, owner: o) }
        } else {
            unlinkOwned(b, owner: o)
        }
    }

    func linkOwned(_ b: Int, owner o: Int) {
        ownedPrev[b] = -1
        ownedNext[b] = ownedHead[o]
        if ownedHead[o] >= 0 { ownedPrev[Int(ownedHead[o])] = Int32(b) }
        ownedHead[o] = Int32(b)
    }

    func unlinkOwned(_ b: Int, owner o: Int) {
        guard ownedPrev[b] != -2 else { return }
        let p = ownedPrev[b], n = ownedNext[b]
        if p >= 0 { ownedNext[Int(p)] = n } else { ownedHead[o] = n }
        if n >= 0 { ownedPrev[Int(n)] = p }
        ownedPrev[b] = -2
        ownedNext[b] = -1
    }

    /// Every block unowned (a policy switch, after every PCP was emptied).
    func dropOwnership() {
        for b in pageblocks.indices where pageblocks[b].owner >= 0 { releaseOwnership(block: b) }
    }

    /// Blocks on a CPU's owned_blocks list.
    public func ownedBlocksCount(cpu: Int) -> Int {
        var n = 0, b = ownedHead[cpu]
        while b >= 0 { n += 1; b = ownedNext[Int(b)] }
        return n
    }

    /// Blocks owned by a CPU, listed or not.
    public func blocksOwned(by cpu: Int) -> Int { pageblocks.indices.reduce(0) { $0 + (pageblocks[$1].owner == Int32(cpu) ? 1 : 0) } }
}
