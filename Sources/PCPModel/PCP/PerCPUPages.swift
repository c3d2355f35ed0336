/// struct per_cpu_pages (6.18): one per CPU per zone. The 14 lists live in the zone's ListSet.
public struct PerCPUPages: Sendable, BitwiseCopyable {
    /// Pages on all lists, in base pages.
    public var count = 0
    /// Auto-tuned high mark; re-clamped to [highMin, highMax] whenever it is used.
    public var high = 0
    public var highMin = 0
    public var highMax = 0
    public var batch = 1
    /// PCPF_* bits.
    public var flags: UInt8 = 0
    /// Refill batch = batch << allocFactor (order 0).
    public var allocFactor = 0
    /// NUMA remote-zone drain countdown.
    public var expire = 0
    /// Consecutive free count; halved on every allocation.
    public var freeCount = 0

    /// PCPF_PREV_FREE_HIGH_ORDER.
    public static let prevFreeHighOrder: UInt8 = 1 << 0
    /// PCPF_FREE_HIGH_BATCH.
    public static let freeHighBatch: UInt8 = 1 << 1
}

extension Zone {
    /// Marks a block head as held by `cpu`'s PCP: state, order, CPU, list type, and whether it
    /// sits in an owning design's buddy area (PagePCPBuddy) rather than on one of the 14 lists.
    @inline(__always) func enterPCP(_ cpu: Int, _ i: Int, order: Int, mt: Int, buddy: Bool) {
        pages.enterPCP(i, order: order, cpu: cpu, mt: mt, buddy: buddy)
    }
}
