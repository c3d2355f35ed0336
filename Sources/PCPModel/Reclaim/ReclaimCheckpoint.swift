/// Checkpoints of reclaim's state: the LRU lists and folio flags, the page cache's files,
/// kswapd per node and the reclaim switches (see `MachineCheckpoint.swift`).
extension LRUStore {
    func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.section("lru")
        try c.sync(links)
        try c.sync(flags)
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
            files = []
        }
        for (k, size) in sizes.enumerated() {
            // Each file is made as its bytes come up, so a damaged list of sizes ends at the
            // state's end rather than mapping every file it names first.
            if !c.isSaving { files.append(CachedFile(pages: size)) }
            let f = files[k]
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
        try c.sync(&anonCost)
        try c.sync(&fileCost)
        try c.sync(&oomPending)
    }
}

extension Machine {
    /// The anon areas (--swap): each one's page-to-folio-or-swap map and counts.
    func checkpointAnonAreas(_ c: Checkpoint) throws(CheckpointError) {
        var sizes = anonAreas.map(\.pages)
        try c.sync(&sizes)
        if !c.isSaving {
            guard sizes.allSatisfy({ $0 > 0 && $0 <= 1 << 40 }) else { throw CheckpointError("an anon area's size is out of range") }
            anonAreas = []
        }
        for (k, size) in sizes.enumerated() {
            // Made as its bytes come up, as the page cache's files are.
            if !c.isSaving { anonAreas.append(AnonArea(pages: size)) }
            let a = anonAreas[k]
            try c.sync(a.slots)
            for o in 0..<a.pages where a.slots[o] != AnonArea.swapped && Int(a.slots[o]) > lru.links.count {
                throw CheckpointError("an anon area maps a page outside memory")
            }
            try c.sync(&a.resident)
            try c.sync(&a.swapped)
        }
    }

    /// The chain of movers (the measured workload's region first, then an aged machine's or an
    /// import's): restored into the regions the workload just built, the rest made anew.
    func checkpointMovers(_ c: Checkpoint) throws(CheckpointError) {
        var chain: [AnonRegion] = []
        var at = mover
        while let m = at {
            guard let r = m as? AnonRegion else { throw CheckpointError("a page mover of type \(type(of: m)) cannot be saved") }
            chain.append(r)
            at = r.previous
        }
        var n = chain.count
        try c.sync(&n)
        if !c.isSaving {
            guard n >= chain.count, n <= 1 << 16 else { throw CheckpointError("\(n) page movers saved, \(chain.count) built") }
        }
        for k in 0..<n {
            // A mover the workload did not build is made as its bytes come up, not all at once:
            // each holds a reverse map of the whole machine, so a damaged count ends at the
            // file's end instead of allocating gigabytes first.
            if k == chain.count {
                let r = AnonRegion(self)
                if let last = chain.last { last.previous = r } else { mover = r }
                chain.append(r)
            }
            let r = chain[k]
            try c.sync(&r.slots)
            try c.checkRefs(r.slots.compactMap { $0 })
            let sizes = r.reverse.map(\.count)
            try c.sync(&r.reverse)
            guard r.reverse.map(\.count) == sizes, r.reverse.allSatisfy({ $0.allSatisfy { $0 < r.slots.count } }) else {
                throw CheckpointError("a page mover's reverse map does not fit the machine")
            }
        }
    }
}
