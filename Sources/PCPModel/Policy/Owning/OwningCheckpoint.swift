/// Checkpoints of the owning designs' storage (see `MachineCheckpoint.swift`).
extension OwnedBlocks: Checkpointable {
    func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.section("owned blocks")
        try c.check(cpus, "the owning design's CPU count")
        try c.sync(blockBase)
        try c.sync(ownedHead)
        try c.sync(ownedNext)
        try c.sync(ownedPrev)
        try c.sync(fragPages)
        try c.sync(area.head)
        try c.sync(area.tail)
        try c.sync(area.length)
        try c.sync(routedFrees)
        try c.sync(routedFreesOwnerCold)
        try c.sync(routedIn)
        try c.sync(routedOut)
        try c.sync(lastAllocNs)
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
