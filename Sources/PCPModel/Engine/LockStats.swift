/// The engine's lock figures at one moment, for the /proc views.
public struct EngineLocks: Sendable {
    public var zone: LockStats
    public var pcp: LockStats
    public var perCPUZone: [LockStats]
    public var perCPUPCP: [LockStats]
}

/// lock_stat figures of one lock class (or of one CPU's use of it), in picoseconds inside and
/// nanoseconds outside.
public struct LockStats: Sendable, Equatable, BitwiseCopyable {
    public var acquisitions = 0
    /// Acquisitions that had to wait.
    public var contentions = 0
    /// Contended acquisitions where the lock was last held on another CPU.
    public var conBounces = 0
    /// Acquisitions where the lock was last held on another CPU.
    public var acqBounces = 0
    /// pcp->lock only: acquisitions of another CPU's pcp->lock.
    public var remoteAcquisitions = 0
    var waitTotal = Picoseconds.zero, waitMax = Picoseconds.zero, waitMin = LockStats.none
    var holdTotal = Picoseconds.zero, holdMax = Picoseconds.zero, holdMin = LockStats.none
    /// The minimum before anything was measured.
    static let none = Picoseconds(.max)

    public init() {}

    /// One class's figures from its CPUs': the counts and totals summed, the extremes of theirs.
    init(combining perCPU: borrowing FixedArray<LockStats>) {
        for c in perCPU.indices {
            let o = perCPU[c]
            acquisitions += o.acquisitions; contentions += o.contentions
            conBounces += o.conBounces; acqBounces += o.acqBounces
            remoteAcquisitions += o.remoteAcquisitions
            waitTotal += o.waitTotal; waitMax = max(waitMax, o.waitMax); waitMin = min(waitMin, o.waitMin)
            holdTotal += o.holdTotal; holdMax = max(holdMax, o.holdMax); holdMin = min(holdMin, o.holdMin)
        }
    }

    @inline(__always) mutating func acquired(wait: Picoseconds, bounced: Bool, remote: Bool) {
        acquisitions += 1
        if wait > .zero {
            contentions += 1
            if bounced { conBounces += 1 }
            waitTotal += wait
            waitMax = max(waitMax, wait)
            waitMin = min(waitMin, wait)
        }
        if bounced { acqBounces += 1 }
        if remote { remoteAcquisitions += 1 }
    }

    @inline(__always) mutating func held(_ d: Picoseconds) {
        holdTotal += d
        holdMax = max(holdMax, d)
        holdMin = min(holdMin, d)
    }

    /// Whole nanoseconds, as lock_stat keeps them: total, min, max of waits and holds.
    public var waitNs: (total: Int64, min: Int64, max: Int64) { (waitTotal.ns, waitMin == LockStats.none ? 0 : waitMin.ns, waitMax.ns) }
    public var holdNs: (total: Int64, min: Int64, max: Int64) { (holdTotal.ns, holdMin == LockStats.none ? 0 : holdMin.ns, holdMax.ns) }

    public var waitNsTotal: Double { waitTotal.nsDouble }
    public var waitNsMax: Double { waitMax.nsDouble }
    /// lock_stat's waittime-min: over contended acquisitions only (0 when none).
    public var waitNsMin: Double { waitMin == LockStats.none ? 0 : waitMin.nsDouble }
    public var holdNsTotal: Double { holdTotal.nsDouble }
    public var holdNsMax: Double { holdMax.nsDouble }
    public var holdNsMin: Double { holdMin == LockStats.none ? 0 : holdMin.nsDouble }
}
