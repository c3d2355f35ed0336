/// What happened under one lock: acquisitions, and the work done while holding it.
/// The engine turns these into time; the model only counts.
public struct LockCounters: Sendable, Equatable {
    public var acquisitions = 0
    /// Base pages moved between a PCP and the buddy, or handed out, under the lock.
    public var pagesMoved = 0
    /// Buddy merge steps done under the lock.
    public var mergeSteps = 0
    /// Split steps (expand) done under the lock.
    public var splitSteps = 0
    /// Merge steps done on PCPs under pcp->lock instead (the merging policies).
    public var pcpMergeSteps = 0
    /// PCP refills (rmqueue_bulk) and PCP drains (free_pcppages_bulk) that took the lock.
    public var refills = 0
    public var drains = 0
    /// Pages refills brought from the buddy onto PCPs.
    public var refillPages = 0
    public init() {}
}
