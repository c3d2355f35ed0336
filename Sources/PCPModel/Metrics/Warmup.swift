/// Steady-state metrics: a run's counters when its warm-up ended, subtracted from its counters
/// at the end.
///
/// The warm-up is the first stat interval (vm.stat_interval, 1 s by default). Until the first
/// vmstat_update every PCP fills from empty at its boot high, refills come as a burst, and
/// decay_pcp_high has not run yet, so neither pcp->high nor the refill rate has settled. A run
/// shorter than two stat intervals has no steady part worth measuring and keeps its whole-run
/// figures (the caller decides).
public struct WarmupBase: Sendable {
    /// The metrics when the warm-up ended.
    let metrics: RunMetrics
    /// The zones' raw counters then: pages moved and refilled under zone->lock, acquisitions.
    let pagesMoved, refillPages, zoneAcquisitions: Int
}

extension Engine {
    /// The warm-up a steady-state measurement leaves out, in simulated ns: the first stat
    /// interval (0 when vmstat_update never runs).
    public var warmupNs: Int64 { machine.knobs.statIntervalJiffies > 0 ? machine.statInterval : 0 }

    /// The counters now, as the end of the warm-up.
    public func warmupBase(policy: String, workload: String, seed: UInt64) -> WarmupBase {
        let z = machine.zones
        return WarmupBase(metrics: metrics(policy: policy, workload: workload, seed: seed),
                          pagesMoved: z.reduce(0) { $0 + $1.lock.pagesMoved }, refillPages: z.reduce(0) { $0 + $1.lock.refillPages },
                          zoneAcquisitions: z.reduce(0) { $0 + $1.lock.acquisitions })
    }

    /// The metrics of the run after its warm-up. Counters are differences from `base`; the
    /// state at the end (free pageblocks, indices, pcp->high, owned_blocks lengths) is the
    /// end's; pcp_pages.mean is the mean after the warm-up; lock wait and hold maxima and
    /// minima, pcp_pages.peak and the time series cover the whole run.
    public func metrics(policy: String, workload: String, seed: UInt64, since base: WarmupBase) -> RunMetrics {
        let b = base.metrics
        var r = metrics(policy: policy, workload: workload, seed: seed)
        let z = machine.zones
        let moved = z.reduce(0) { $0 + $1.lock.pagesMoved } - base.pagesMoved
        let refills = z.reduce(0) { $0 + $1.lock.refillPages } - base.refillPages
        let acquisitions = z.reduce(0) { $0 + $1.lock.acquisitions } - base.zoneAcquisitions
        let span = r.simSeconds - b.simSeconds
        r.warmupSeconds = b.simSeconds
        r.pcpPages.mean = span > 0 ? (r.pcpPages.mean * r.simSeconds - b.pcpPages.mean * b.simSeconds) / span : r.pcpPages.mean
        r.ops -= b.ops
        r.simSeconds = span
        r.pagesAllocated -= b.pagesAllocated
        r.pagesFreed -= b.pagesFreed
        r.allocFailures -= b.allocFailures
        r.throughputPagesPerSimS = span > 0 ? Double(r.pagesAllocated) / span : 0
        r.locks.zone.subtract(b.locks.zone)
        r.locks.pcp.subtract(b.locks.pcp)
        r.zoneLockPagesPerAcquisition = acquisitions > 0 ? Double(moved) / Double(acquisitions) : 0
        r.merges.zoneLock -= b.merges.zoneLock
        r.merges.pcpLock -= b.merges.pcpLock
        for c in r.perCPU.indices {
            let p = b.perCPU[c]
            r.perCPU[c].allocs -= p.allocs
            r.perCPU[c].failedAllocs -= p.failedAllocs
            r.perCPU[c].frees -= p.frees
            r.perCPU[c].pagesAllocated -= p.pagesAllocated
            r.perCPU[c].pagesFreed -= p.pagesFreed
            r.perCPU[c].zoneLock.subtract(p.zoneLock)
            r.perCPU[c].pcpLock.subtract(p.pcpLock)
            r.perCPU[c].routedFreesIn -= p.routedFreesIn
            r.perCPU[c].routedFreesOut -= p.routedFreesOut
        }
        r.thpFaultAlloc -= b.thpFaultAlloc
        r.thpFaultFallback -= b.thpFaultFallback
        r.contig.attempts -= b.contig.attempts
        r.contig.successes -= b.contig.successes
        r.contig.pagesInUse -= b.contig.pagesInUse
        r.contig.pagesStrandedOnPCP -= b.contig.pagesStrandedOnPCP
        r.contig.unmovableBlocks -= b.contig.unmovableBlocks
        r.pcpReuse = r.pagesAllocated > 0 ? max(0, 1 - Double(refills) / Double(r.pagesAllocated)) : 0
        for (k, v) in b.refillPhasePages { r.refillPhasePages[k, default: 0] -= v }
        r.ownership.routedFrees -= b.ownership.routedFrees
        r.ownership.routedFreesOwnerCold -= b.ownership.routedFreesOwnerCold
        return r
    }
}

extension RunMetrics.Lock {
    /// The counts and totals since `b` (maxima and minima stay the whole run's).
    mutating func subtract(_ b: Self) {
        acquisitions -= b.acquisitions
        contentions -= b.contentions
        conBounces -= b.conBounces
        acqBounces -= b.acqBounces
        waitNsTotal -= b.waitNsTotal
        holdNsTotal -= b.holdNsTotal
        if let r = remoteAcquisitions, let s = b.remoteAcquisitions { remoteAcquisitions = r - s }
    }
}
