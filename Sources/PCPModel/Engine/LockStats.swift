/// The engine's lock figures at one moment, for the /proc views.
public struct EngineLocks: Sendable {
    public var zone: LockStats
    public var pcp: LockStats
    public var perCPUZone: [LockStats]
    public var perCPUPCP: [LockStats]
}

/// lock_stat figures of one lock class (or of one CPU's use of it), in picoseconds inside and
/// nanoseconds outside.
public struct LockStats: Sendable, Equatable {
    public var acquisitions = 0
    /// Acquisitions that had to wait.
    public var contentions = 0
    /// Contended acquisitions where the lock was last held on another CPU.
    public var conBounces = 0
    /// Acquisitions where the lock was last held on another CPU.
    public var acqBounces = 0
    /// pcp->lock only: acquisitions of another CPU's pcp->lock.
    public var remoteAcquisitions = 0
    var waitTotal: Int64 = 0, waitMax: Int64 = 0, waitMin: Int64 = .max
    var holdTotal: Int64 = 0, holdMax: Int64 = 0, holdMin: Int64 = .max

    public init() {}

    @inline(__always) mutating func acquired(wait: Int64, bounced: Bool, remote: Bool) {
        acquisitions += 1
        if wait > 0 {
            contentions += 1
            if bounced { conBounces += 1 }
            waitTotal += wait
            waitMax = max(waitMax, wait)
            waitMin = min(waitMin, wait)
        }
        if bounced { acqBounces += 1 }
        if remote { remoteAcquisitions += 1 }
    }

    @inline(__always) mutating func held(_ d: Int64) {
        holdTotal += d
        holdMax = max(holdMax, d)
        holdMin = min(holdMin, d)
    }

    /// Whole nanoseconds, as lock_stat keeps them: total, min, max of waits and holds.
    public var waitNs: (total: Int64, min: Int64, max: Int64) { (waitTotal / 1000, waitMin == .max ? 0 : waitMin / 1000, waitMax / 1000) }
    public var holdNs: (total: Int64, min: Int64, max: Int64) { (holdTotal / 1000, holdMin == .max ? 0 : holdMin / 1000, holdMax / 1000) }

    public var waitNsTotal: Double { Double(waitTotal) / 1000 }
    public var waitNsMax: Double { Double(waitMax) / 1000 }
    /// lock_stat's waittime-min: over contended acquisitions only (0 when none).
    public var waitNsMin: Double { waitMin == .max ? 0 : Double(waitMin) / 1000 }
    public var holdNsTotal: Double { Double(holdTotal) / 1000 }
    public var holdNsMax: Double { Double(holdMax) / 1000 }
    public var holdNsMin: Double { holdMin == .max ? 0 : Double(holdMin) / 1000 }
}
