/// Checkpoints of the workloads: where each one is and what it holds. A restore builds the
/// workload from the scenario on the restored machine's fresh twin first (its parameters and
/// what its construction does to the machine), then reads these fields into it.
extension RandomMix {
    public mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) { try c.sync(fields: &held) }

    /// Stored properties the checkpoint does not write, and why.
    static let derivedFields: [String: String] = [
        "ahead": "prefetchAhead's guesses: they choose prefetches, and a step takes one's draws only when it starts where the guess did",
        "expected": "where prefetchAhead expects the next step to end",
    ]
}

extension FaultLoop {
    public mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(each: &held, "fault-loop's CPU count")
        try c.sync(&freeing)
    }
}

extension JemallocPurge {
    /// The per-CPU fields as the arrays the format has always held, each written back.
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try cpus.withUnsafeMutablePointers { (n, all) throws(CheckpointError) in
            let cpus = UnsafeMutableBufferPointer(start: all, count: n.pointee)
            var held = cpus.map(\.held), cycle = cpus.map(\.cycle), burstLeft = cpus.map(\.burstLeft)
            try c.sync(each: &held, "jemalloc-purge's CPU count")
            try c.sync(&cycle)
            try c.sync(fields: &dirty)
            try c.sync(&burstLeft)
            guard cycle.count == cpus.count, burstLeft.count == cpus.count else {
                throw CheckpointError("jemalloc-purge's cycles or bursts do not match its CPU count")
            }
            for i in cpus.indices {
                cpus[i].held = held[i]
                cpus[i].cycle = cycle[i]
                cpus[i].burstLeft = burstLeft[i]
            }
            heapPages = cpus.reduce(dirty.pages) { $0 + $1.held.pages }
        }
        try c.sync(&starved)
    }
}

extension OneAllocator {
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(each: &queue, "one-allocator's CPU count")
        try c.sync(&next)
    }
}

extension ProducerConsumer {
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(each: &inFlight, "producer-consumer's CPU count")
    }
}

extension Churn: CheckpointableValue {
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(each: &held, "churn's CPU count")
    }
}

extension THPFaults {
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(each: &huge, "thp's CPU count")
        try c.sync(fields: &churn)
    }
}

extension ContigAttempts {
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(&nextStart)
        try c.sync(&countdown)
        try c.sync(&held)
        try c.checkRefs(held.joined())
        try c.sync(fields: &churn)
    }
}

extension Fragmenter {
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(fields: &movable)
        try c.sync(fields: &unmovable)
    }
}

extension ProcessMemory: CheckpointableValue {
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(fields: &anon)
        try c.sync(fields: &tables)
        try c.sync(fields: &pgd)
        try c.sync(fields: &stack)
        try c.sync(fields: &deadStack)
        try c.sync(&started)
    }
}

extension ExitAvalanche {
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(each: &procs, "exit-avalanche's CPU count")
        try c.sync(&ready)
        try c.sync(&exiting)
        try c.sync(&built)
        try c.check(background != nil, "exit-avalanche's background")
        try background?.checkpoint(c)
    }
}

extension KernelBuild {
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(each: &procs, "kbuild's CPU count")
        try c.sync(&exiting)
        try c.sync(fields: &cache)
        try c.sync(fields: &slab)
    }
}

extension FragmentRegion {
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        // The region itself is saved with the machine's movers.
        try c.sync(&touched)
        try c.sync(&freed)
        try c.sync(&compacted)
        try c.sync(&faulted)
        try c.sync(&small)
        try c.sync(fields: &huge)
    }
}

extension Stream {
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.check(file, "stream's file")
        try c.sync(&offset)
        try c.sync(&ioPending)
    }
}

extension Restricted {
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) { try inner.checkpoint(c) }
}

extension Mix {
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try a.checkpoint(c)
        try b.checkpoint(c)
        try c.sync(&turn)
    }
}

extension MemHog {
    mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(&area)
        try c.sync(&faulted)
        try c.sync(each: &tables, "memhog's CPU count")
        try c.sync(&pid)
        try c.sync(&ioPending)
        try c.sync(&nextPid)
        try c.sync(&kills)
        var victim = [lastVictim?.cpu ?? -1, lastVictim?.points ?? -1]
        try c.sync(&victim)
        if !c.isSaving { lastVictim = victim.count == 2 && victim[0] >= 0 ? (victim[0], victim[1]) : nil }
        guard !c.isSaving, let m = c.restoredMachine else { return }
        // Each CPU's area is one of the machine's, of this workload's size, and faulted no
        // further than its end: a damaged file is refused here rather than trap in anonAccess.
        let n = isProc.count
        guard area.count == n, faulted.count == n, pid.count == n, ioPending.count == n, (lastVictim?.cpu ?? 0) < n,
              zip(area, faulted).allSatisfy({ a, f in f >= 0 && f <= pages && (a == -1 ? f == 0 : a >= 0 && a < m.anonAreas.count && m.anonAreas[a].pages == pages) }),
              ioPending.allSatisfy({ $0 >= 0 }) else {
            throw CheckpointError("memhog's processes do not fit the machine's anonymous areas")
        }
    }
}

extension LivedIn {
    /// The resident region is saved with the machine's movers; the files with the page cache.
    public mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(fields: &residentTables)
        try c.sync(fields: &slab)
        try c.sync(fields: &caches)
        try c.sync(&readIn)
        try c.sync(&scannedSeen)
        try c.sync(&shrinkDebt)
        try c.sync(each: &procs, "lived-in's CPU count")
        try c.sync(&exiting)
        try c.sync(&reading)
        try c.sync(&cursor)
        try c.sync(&owed)
        guard !c.isSaving, let m = c.restoredMachine else { return }
        // What a step indexes or multiplies: a damaged file is refused here rather than trap.
        // (A file read to its end is no longer being read; the shrinker's debt stays below the
        // LRU pages it was last compared with, and an order-3 slab freed may overshoot it by 8
        // times those pages; growCaches may overshoot by 8 slabs' worth.)
        let n = procs.count
        let scanned = m.event(.pgscanKswapd) + m.event(.pgscanDirect)
        let managed = m.zones.reduce(0) { $0 + $1.managed }
        guard exiting.count == n, reading.count == n, cursor.count == n, owed.count == n,
              zip(reading, cursor).allSatisfy({ r, at in r == -1 ? at >= 0 : r >= 0 && r < files.count && at >= 0 && at < files[r].pages }),
              readIn >= -8 * pagesPerCacheSlab, readIn <= Int.max / 2, scannedSeen >= 0, scannedSeen <= scanned,
              shrinkDebt > -8 * (managed + 1), shrinkDebt <= managed + 1 else {
            throw CheckpointError("lived-in's reading and shrinker state do not fit the machine")
        }
    }
}
