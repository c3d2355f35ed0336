/// Checkpoints of the owning designs' storage (see `MachineCheckpoint.swift`).
extension OwnedBlocks: Checkpointable {
    func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.section("owned blocks")
        try c.check(cpus, "the owning design's CPU count")
        c.derived(blockBase)
        try c.sync(ownedHead)
        try c.sync(ownedNext)
        try c.sync(ownedPrev)
        try c.sync(fragPages)
        try c.sync(area.head)
        try c.sync(area.tail)
        try c.sync(area.length)
        c.derived(areaPages)
        if !c.isSaving { for s in areaPages.indices { areaPages[s] = countAreaPages(slot: s) } }
        try c.sync(routedFrees)
        try c.sync(routedFreesOwnerCold)
        try c.sync(routedIn)
        try c.sync(routedOut)
        try c.sync(lastAllocNs)
        if c.validates { try validateRestored() }
    }

    /// Owned-block links within their zone's pageblocks, and buddy-area lists within their
    /// zone's pages (see `RestoreValidation.swift`).
    func validateRestored() throws(CheckpointError) {
        let zones = blockBase.count - 1
        for id in 0..<zones {
            let blocks = blockBase[id + 1] - blockBase[id]
            for k in blockBase[id]..<blockBase[id + 1] where !(-1..<blocks).contains(Int(ownedNext[k])) || !(-2..<blocks).contains(Int(ownedPrev[k])) {
                throw CheckpointError("an owned block links outside its zone")
            }
            for cpu in 0..<cpus where !(-1..<blocks).contains(Int(ownedHead[id * cpus + cpu])) {
                throw CheckpointError("an owned-block list starts outside its zone")
            }
        }
        let perZone = areaListsPerZone
        for l in area.head.indices {
            let id = l / perZone, pages = (blockBase[id + 1] - blockBase[id]) << K.pageblockOrder
            for e in [area.head[l], area.tail[l]] where e != PageStore.none && Int(e) >= pages {
                throw CheckpointError("a buddy-area list lies outside its zone")
            }
        }
    }
}

extension OwningPolicy {
    /// The buddy areas' heads, zone by zone (a zone's lists index its own pages).
    func clearHeadBackLinks(_ m: Machine) {
        let perZone = owned.areaListsPerZone
        for z in m.zones { owned.area.clearHeadBackLinks(z.id * perZone..<(z.id + 1) * perZone, z.pages) }
    }
}

extension PCPBuddy {
    func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try owned.checkpoint(c)
        try c.sync(phasePages)
    }
}

extension BlockEconomy {
    /// `stealOrders` is a cache computed from the CPU map on first use.
    func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try owned.checkpoint(c)
        try c.sync(stolenBlocks)
        try c.sync(stolenPieces)
    }
}
