/// The geometry of one zone, as /proc/zoneinfo prints it.
public struct ZoneGeometry: Sendable, Equatable, Codable {
    public var type: ZoneType
    public var startPFN: Int
    public var spanned: Int
    public var present: Int
    public var managed: Int

    public init(type: ZoneType, startPFN: Int, spanned: Int, present: Int, managed: Int) {
        self.type = type; self.startPFN = startPFN; self.spanned = spanned
        self.present = present; self.managed = managed
    }

    public var isPopulated: Bool { present > 0 }
    public var endPFN: Int { startPFN + spanned }

    enum CodingKeys: String, CodingKey { case type, startPFN = "start_pfn", spanned, present, managed }
}

extension ZoneType: Codable {}

/// struct zone: free areas, pageblocks, watermarks, PCPs and counters of one zone.
///
/// Pages are indices into `pages`, counted from `base` (start_pfn rounded down to a
/// MAX_ORDER block so that buddy arithmetic on pfns stays inside the arrays). The zone's
/// present pages are its first `present - managed` pfns, kept reserved (firmware, kernel
/// image, memmap), and its last `managed` pfns, given to the buddy at boot; the hole
/// (`spanned - present`) lies between. That is the x86-64 DMA zone exactly (BIOS pages at
/// pfn 1-158, the legacy hole, then 256-4095 free). Hot fields are `@exclusivity(unchecked)`
/// (see `Machine`).
public final class Zone {
    public let geometry: ZoneGeometry
    public let nid: Int
    /// Index in Machine.zones: nid * 5 + zone type. Stored: the owning designs index their
    /// per-CPU arrays by it on every operation.
    public let id: Int
    public var type: ZoneType { geometry.type }
    public var managed: Int { geometry.managed }
    public var isPopulated: Bool { geometry.isPopulated }

    let base: Int
    let pages: PageStore
    let lists: ListSet
    public let nrCPUs: Int

    /// pageblock_data, one per 512 pages from `base`.
    let pageblocks: FixedArray<PageblockData>

    /// free_area[order].nr_free (blocks, all types).
    public let nrFree = FixedArray<Int>(zeroed: K.nrOrders)

    /// _watermark[WMARK_MIN...WMARK_PROMO].
    public let watermark = FixedArray<Int>(zeroed: 4)
    @exclusivity(unchecked) public internal(set) var watermarkBoost = 0
    public let lowmemReserve = FixedArray<Int>(zeroed: K.nrZoneTypes)
    @exclusivity(unchecked) public internal(set) var nrReservedHighatomic = 0
    @exclusivity(unchecked) public internal(set) var nrFreeHighatomic = 0

    /// watermark_boost_factor, pushed down from the machine's knobs.
    @exclusivity(unchecked) var boostFactor = 15000
    /// mm_page_alloc_extfrag events: allocations that fell back to another migratetype.
    @exclusivity(unchecked) public internal(set) var extfragEvents = 0

    /// ZONE_BOOSTED_WATERMARK, ZONE_BELOW_HIGH.
    @exclusivity(unchecked) var boostedWatermark = false
    /// Compaction's cached scanner positions, skip flush and deferral.
    @exclusivity(unchecked) var compact = CompactState()
    @exclusivity(unchecked) var belowHigh = false

    /// The last (high_min, high_max, batch) pushed to every PCP (zone->pageset_*).
    public internal(set) var pagesetHighMin = 0
    public internal(set) var pagesetHighMax = 0
    public internal(set) var pagesetBatch = 1

    /// per_cpu_pageset, one per possible CPU. A count changes through `addPCPCount`.
    public let pcp: FixedArray<PerCPUPages>
    /// The CPUs' pcp->count summed, kept as they change: the engine's sampler reads the sum
    /// every 256 operations, and adding up 256 CPUs' pagesets there was 3 of the 10.6
    /// first-level data misses an operation of a 1 TiB, 256-CPU run.
    @exclusivity(unchecked) public internal(set) var pcpCountTotal = 0

    /// pcp->count += n, and the zone's sum with it.
    @inline(__always) func addPCPCount(_ cpu: Int, _ n: Int) {
        pcp[cpu].count &+= n
        pcpCountTotal &+= n
    }

    /// per_cpu_zonestats.stat_threshold (the same for every CPU).
    @exclusivity(unchecked) public internal(set) var statThreshold = 0
    let vmStat: DiffCounters
    /// NUMA events; zoneinfo folds every CPU's share before printing, so only the sum matters.
    let numa = FixedArray<Int>(zeroed: NumaEvent.count)
    /// zone->lock traffic, for the lock_stat-style metrics.
    @exclusivity(unchecked) public internal(set) var lock = LockCounters()
    /// Where lock sections are recorded when an engine prices them (none: not recorded).
    @exclusivity(unchecked) var trace = TraceHandle(nil)
    /// Where tracepoints fire (nil: tracing off).
    @exclusivity(unchecked) var tracer: Tracer?
    /// Lock id of this zone's zone->lock (its zone id) and of CPU 0's pcp->lock in this zone.
    @exclusivity(unchecked) var pcpLockBase = 0

    /// Free-list index of (order, migratetype).
    @inline(__always) static func freeList(_ order: Int, _ mt: Int) -> Int { order * MigrateType.count + mt }
    static let nrFreeLists = K.nrOrders * MigrateType.count
    /// List index of (cpu, pindex).
    @inline(__always) func pcpList(_ cpu: Int, _ pindex: Int) -> Int {
        Zone.nrFreeLists &+ cpu &* K.nrPCPLists &+ pindex
    }

    init(geometry: ZoneGeometry, nid: Int, cpus: Int) {
        self.geometry = geometry
        self.nid = nid
        id = nid &* K.nrZoneTypes &+ geometry.type.rawValue
        self.nrCPUs = cpus
        let b = geometry.startPFN & ~(1 << K.maxOrder - 1)
        let end = (geometry.endPFN + (1 << K.maxOrder) - 1) & ~(1 << K.maxOrder - 1)
        base = b
        let n = geometry.isPopulated ? end - b : 0
        pages = PageStore(count: n)
        if n > 0 {
            pages.setReserved(0..<(geometry.endPFN - geometry.managed - b))
            pages.setReserved((geometry.endPFN - b)..<n)
        }
        lists = ListSet(count: Zone.nrFreeLists + cpus * K.nrPCPLists)
        pageblocks = FixedArray(repeating: .initial, count: n >> K.pageblockOrder)
        pcp = FixedArray(repeating: PerCPUPages(), count: cpus)
        vmStat = DiffCounters(items: ZoneStat.count, cpus: cpus)
    }

    /// NUMA event counters, in NumaEvent order.
    public var numaEvents: [Int] { numa.elements }

    /// spin_lock(&zone->lock), counted and recorded.
    @inline(__always) func lockZone() {
        lock.acquisitions += 1
        trace.acquire(id)
    }
    @inline(__always) func unlockZone() { trace.release(id) }
    /// `@inline(always)`: since a priced acquisition's body is inlined beneath it, the optimiser's
    /// size limit left this out of line under `@inline(__always)`, a call on every fast-path
    /// allocation and free even with no engine attached.
    @inline(always) func lockPCP(_ cpu: Int) { trace.acquire(pcpLockBase &+ cpu) }
    @inline(__always) func unlockPCP(_ cpu: Int) { trace.release(pcpLockBase &+ cpu) }
    /// pcp_spin_trylock() on `cpu`'s pcp->lock, by CPU `by` (the same CPU unless remote).
    @inline(__always) func trylockPCP(_ cpu: Int, by: Int? = nil) -> Bool {
        trace.trylock(pcpLockBase &+ cpu, by: by ?? cpu)
    }

    /// The online pfn ranges: reserved pages first, managed pages last.
    public var onlineRanges: [Range<Int>] {
        let g = geometry
        return [g.startPFN..<(g.startPFN + g.present - g.managed), (g.endPFN - g.managed)..<g.endPFN].filter { !$0.isEmpty }
    }

    @inline(__always) public func index(_ pfn: Int) -> Int { pfn - base }
    @inline(__always) public func pfn(_ index: Int) -> Int { index &+ base }
    /// zone_spans_pfn() for a page index.
    @inline(__always) func spans(_ i: Int) -> Bool {
        let p = i + base
        return p >= geometry.startPFN && p < geometry.endPFN
    }

    @inline(__always) func blockType(_ i: Int) -> Int { pageblocks[i >> K.pageblockOrder].effectiveType }

    /// set_pageblock_migratetype().
    @inline(__always) func setBlockType(_ i: Int, _ mt: Int) {
        pageblocks[i >> K.pageblockOrder].migratetype = UInt8(mt)
    }

    /// Gives the managed range to the buddy allocator, as memblock_free_all() does at boot:
    /// maximal aligned chunks, each freed to the tail (FPI_TO_TAIL), all pageblocks MOVABLE.
    /// The managed pages are tails already (a page store starts so), so only heads are written.
    func bootFree<P: AllocatorPolicy>(_ p: P) {
        guard isPopulated else { return }
        var pfn = geometry.endPFN - geometry.managed
        let end = geometry.endPFN
        while pfn < end {
            var order = min(K.maxOrder, pfn == 0 ? K.maxOrder : pfn.trailingZeroBitCount)
            while pfn + (1 << order) > end { order -= 1 }
            freeOneBuddy(index(pfn), order: order, mt: MigrateType.movable.rawValue, toTail: true, cpu: nil, p)
            pfn += 1 << order
        }
        vmStat.fold(cpu: 0)
    }

    /// zone_page_state(): the folded value /proc/zoneinfo prints.
    public func pageState(_ item: ZoneStat) -> Int { max(0, vmStat.global[item.rawValue]) }
    /// zone_page_state_snapshot(): with every CPU's pending delta.
    public func pageStateExact(_ item: ZoneStat) -> Int { vmStat.exact(item.rawValue) }
    /// zone_numa_event_state() after fold_vm_zone_numa_events().
    public func numaEvent(_ e: NumaEvent) -> Int { numa[e.rawValue] }

    @inline(__always) func modState(_ item: ZoneStat, cpu: Int?, _ delta: Int) {
        if let cpu {
            vmStat.mod(item.rawValue, cpu: cpu, delta, threshold: statThreshold)
        } else {
            vmStat.global[item.rawValue] += delta
        }
    }

    /// wmark_pages(): the effective mark includes the boost.
    @inline(__always) public func wmarkPages(_ w: Int) -> Int { watermark[w] &+ watermarkBoost }
    @inline(__always) public var highWmark: Int { watermark[2] &+ watermarkBoost }
    @inline(__always) public var lowWmark: Int { watermark[1] &+ watermarkBoost }

    /// Blocks of `order` on free_list[mt] (what /proc/pagetypeinfo counts).
    public func freeCount(order: Int, mt: Int) -> Int { lists.length[Zone.freeList(order, mt)] }

    /// Pages on one PCP list of one CPU.
    public func pcpListLength(cpu: Int, pindex: Int) -> Int { lists.length[pcpList(cpu, pindex)] }

    /// Number of blocks of each migratetype, counted as pagetypeinfo does: walk from
    /// zone_start_pfn in steps of a pageblock over online pages.
    public func pageblockTypeCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: MigrateType.count)
        guard isPopulated else { return counts }
        let online = onlineRanges
        var pfn = geometry.startPFN
        while pfn < geometry.endPFN {
            if online.contains(where: { $0.contains(pfn) }) { counts[blockType(index(pfn))] += 1 }
            pfn += K.pageblockNrPages
        }
        return counts
    }
}
