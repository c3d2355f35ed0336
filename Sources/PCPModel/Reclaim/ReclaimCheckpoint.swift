/// Checkpoints of reclaim's state: the LRU lists and folio flags, the page cache's files,
/// kswapd per node and the reclaim switches (see `MachineCheckpoint.swift`).
extension LRUStore {
    func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.section("lru")
        try c.sync(next)
        try c.sync(prev)
        try c.sync(flags)
        try c.sync(owner)
        try c.sync(offset)
        try c.sync(head)
        try c.sync(tail)
        try c.sync(size)
    }
}

extension PageCache {
    /// Files are saved whole: a restore builds them again (the workload that made them was
    /// built on a fresh machine, whose files these replace).
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.section("page cache")
        try c.sync(&pages)
        var sizes = files.map(\.pages)
        try c.sync(&sizes)
        if !c.isSaving {
            guard sizes.allSatisfy({ $0 > 0 && $0 <= Int(UInt32.max) }) else { throw CheckpointError("a cached file has an impossible size") }
            files = sizes.map { CachedFile(pages: $0) }
        }
        for f in files {
            try c.sync(f.slots)
            try c.sync(&f.cachedPages)
        }
    }
}

extension Kswapd: CheckpointableValue {
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.check(cpu, "kswapd's CPU")
        var s = [State.sleeping, .running, .napping].firstIndex(of: state)!
        try c.sync(&s)
        guard (0..<3).contains(s) else { throw CheckpointError("kswapd state \(s) is unknown") }
        state = [State.sleeping, .running, .napping][s]
        try c.sync(&order)
        try c.sync(&highestZoneIdx)
        try c.sync(&failures)
        try c.sync(&napUntil)
        try c.sync(&allocOrder)
        try c.sync(&reclaimOrder)
        try c.sync(&lastHighestZoneIdx)
    }
}

extension ReclaimState: CheckpointableValue {
    public mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(&swapPages)
        try c.sync(&swapUsed)
        try c.sync(&oomPending)
    }
}
