/// Saving and restoring a whole machine (`pcpsim mount --state`, `snapshot save`, `--from-state`).
///
/// A state restores into a machine freshly built from the same `MachineSpec`: what the spec
/// decides (zone geometry, zonelists, CPU-to-node map) is rebuilt, everything that changes as
/// the machine runs is listed here, one line a field. A new stored property of `Machine` gets
/// a line here (or in `derivedFields`, with why), or `CheckpointCoverageTests` fails.
extension Machine: Checkpointable {
    public func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.section("machine")
        try c.check(nrCPUs, "the CPU count")
        try c.check(zones.count, "the zone count")
        c.derived(zoneRefs)
        c.derived(zonelistIDs)
        c.derived(zonelistStart)
        c.derived(nofragment)
        try c.sync(fields: &knobs)
        try c.sync(fields: &pcpBuddyOptions)
        try c.sync(&userMinFreeKbytes)
        try c.sync(&totalreservePages)
        try nodeStats.checkpoint(c)
        try c.sync(nodeThreshold)
        try c.sync(eventCounters)
        try c.sync(&now)
        try c.sync(&nextVmstatUpdate)
        try c.sync(&allocatedPages)
        try c.sync(&allocFailures)
        try c.sync(&importedInUse)
        try c.sync(fields: &contig)
        if c.isSaving { resolveHeldOwners() }
        try checkpointHeldStores(c)
        try checkpointAnonAreas(c)
        try checkpointMovers(c)
        try lru.checkpoint(c)
        try pageCache.checkpoint(c)
        try c.sync(each: &kswapd, "the kswapd count")
        try c.sync(fields: &reclaim)
        try c.sync(&kcompactdOrder)
        try c.sync(&kcompactdHighestZone)
        try c.sync(&proactiveDefer)
        try c.sync(&nextKcompactd)
        try c.sync(fields: &thpGFP)
        try c.sync(&lastCompactResult)
        try c.sync(fields: &psiMemory)
        // The design's lists thread the zones' pages, which the zones save.
        if c.isSaving { driver.clearHeadBackLinks(self) }
        for z in zones { try z.checkpoint(c) }
        if c.validates { try validateRestored() }
        if !c.isSaving {
            noteRestoredHeldStores()
            c.restoredMachine = self
        }
        // The design last: its storage is sized by the zones and refers to their pageblocks.
        try c.section("policy")
        var name = policy.rawValue
        try c.sync(&name)
        if !c.isSaving {
            guard let p = Policy(rawValue: name) else { throw CheckpointError("policy \(name) is not built into this pcpsim") }
            policy = p
            policyObject = p.type.init(machine: self)
        }
        try driver.checkpoint(c)
    }

    /// Stored properties a checkpoint does not write, and why: the spec rebuilds them, or they
    /// belong to whoever drives the machine (its engine, workload or tracer).
    static let derivedFields: [String: String] = [
        "spec": "the state's header carries it; the machine is built from it",
        "zones": "built from the spec; each zone's state is saved",
        "kswapdAwake": "kswapd's own didSet keeps it",
        "zoneRefs": "the same zones, unretained",
        "nrCPUs": "the spec", "nrNodes": "the spec", "cpuNode": "the spec", "zonelists": "the spec",
        "zonelistIDs": "the spec", "zonelistStart": "the spec", "nofragment": "the spec",
        "populatedZoneList": "the spec",
        "policy": "saved by name in the policy section", "policyObject": "the design, saved by its own checkpoint",
        "mover": "the chain is saved region by region (checkpointMovers)",
        "heldOwnersStale": "a save resolves the owner words first, so a restored machine has none stale",
        "vmstatObserver": "the engine sets it", "tracer": "the run's tracing sets it",
    ]
}

extension Knobs: CheckpointableValue {
    public mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(&minFreeKbytes)
        try c.sync(&watermarkScaleFactor)
        try c.sync(&watermarkBoostFactor)
        try c.sync(&lowmemReserveRatio)
        try c.sync(&percpuPagelistHighFraction)
        try c.sync(&extfragThreshold)
        try c.sync(&compactionProactiveness)
        try c.sync(&compactUnevictableAllowed)
        try c.sync(&swappiness)
        try c.sync(&defragMode)
        try c.sync(&statIntervalJiffies)
        try c.sync(&numaStat)
        try c.sync(&zoneReclaimMode)
        try c.sync(&thp)
        try c.sync(&thpDefrag)
        try c.sync(fields: &khugepaged)
        try c.sync(&userReserveKbytes)
        try c.sync(&adminReserveKbytes)
        try c.sync(&accepted)
    }
}

extension Khugepaged: CheckpointableValue {
    public mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(&defrag)
        try c.sync(&maxPtesNone)
        try c.sync(&maxPtesSwap)
        try c.sync(&maxPtesShared)
        try c.sync(&pagesToScan)
        try c.sync(&scanSleepMillisecs)
        try c.sync(&allocSleepMillisecs)
        try c.sync(&useZeroPage)
    }
}

extension THPMode: RawRepresentableCheckpointValue {}
extension THPDefrag: RawRepresentableCheckpointValue {}
extension PCPBuddyOptions.RemoteFreeLock: RawRepresentableCheckpointValue {}
extension PCPBuddyOptions.ContigPCP: RawRepresentableCheckpointValue {}

extension PCPBuddyOptions: CheckpointableValue {
    public mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(&remoteFreeLock)
        try c.sync(&phase2LargestFirst)
        try c.sync(&contigPCP)
    }
}

extension ContigStats: CheckpointableValue {
    public mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(&attempts)
        try c.sync(&successes)
        try c.sync(&pagesInUse)
        try c.sync(&pagesStrandedOnPCP)
        try c.sync(&unmovableBlocks)
    }
}

extension THPGFP: CheckpointableValue {
    public mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(&directReclaim)
        try c.sync(&kswapdReclaim)
        try c.sync(&noRetry)
    }
}
