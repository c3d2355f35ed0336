/// Checkpoint of one zone: its pages, lists, pageblocks, PCPs, watermarks and counters. The
/// geometry comes from the machine's spec (see `MachineCheckpoint.swift`).
extension Zone: Checkpointable {
    public func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.section("zone \(id)")
        try c.check(geometry.spanned, "zone \(id)'s spanned pages")
        try c.check(geometry.managed, "zone \(id)'s managed pages")
        if c.isSaving { lists.clearHeadBackLinks(0..<lists.head.count, pages) }
        try pages.checkpoint(c)
        try c.sync(lists.head)
        try c.sync(lists.tail)
        try c.sync(lists.length)
        try c.sync(pageblocks)
        try c.sync(nrFree)
        try c.sync(watermark)
        try c.sync(&watermarkBoost)
        try c.sync(lowmemReserve)
        try c.sync(&nrReservedHighatomic)
        try c.sync(&nrFreeHighatomic)
        try c.sync(&boostFactor)
        try c.sync(&extfragEvents)
        try c.sync(&boostedWatermark)
        try c.sync(fields: &compact)
        try c.sync(&belowHigh)
        try c.sync(&pagesetHighMin)
        try c.sync(&pagesetHighMax)
        try c.sync(&pagesetBatch)
        try c.sync(pcp)
        if !c.isSaving { pcpCountTotal = (0..<nrCPUs).reduce(0) { $0 + pcp[$1].count } }
        try c.sync(&statThreshold)
        try vmStat.checkpoint(c)
        try c.sync(numa)
        try c.sync(fields: &lock)
    }

    static let derivedFields: [String: String] = [
        "geometry": "the spec", "nid": "the spec", "base": "the spec", "nrCPUs": "the spec",
        "trace": "the engine records into it", "tracer": "the run's tracing", "pcpLockBase": "the machine's zone and CPU counts",
        "pcpCountTotal": "the CPUs' pcp counts",
    ]
}

extension DiffCounters {
    func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(global)
        try c.sync(diff)
    }
}

extension LockCounters: CheckpointableValue {
    public mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(&acquisitions)
        try c.sync(&pagesMoved)
        try c.sync(&mergeSteps)
        try c.sync(&splitSteps)
        try c.sync(&pcpMergeSteps)
        try c.sync(&refills)
        try c.sync(&drains)
        try c.sync(&refillPages)
    }
}

extension PageblockData: PaddedCheckpointElement {
    /// The byte between the flags and the owner.
    public static let padding = [MemoryLayout<Self>.offset(of: \.skip)! + 1 ..< MemoryLayout<Self>.offset(of: \.owner)!,
                                 MemoryLayout<Self>.size ..< MemoryLayout<Self>.stride]
}

extension PerCPUPages: PaddedCheckpointElement {
    /// The bytes between the flags and allocFactor.
    public static let padding = [MemoryLayout<Self>.offset(of: \.flags)! + 1 ..< MemoryLayout<Self>.offset(of: \.allocFactor)!,
                                 MemoryLayout<Self>.size ..< MemoryLayout<Self>.stride]
}
