/// A whole simulated machine: nodes, zones, CPUs, knobs and global counters.
///
/// Mutated from one thread at a time (the simulation's); readers take a `Snapshot`.
///
/// The model's classes mark the fields their hot paths touch `@exclusivity(unchecked)`: those
/// are read and written in place and never passed `inout` across a call, so the runtime's
/// exclusivity bookkeeping, which costs more than the work itself, has nothing to find. Flat
/// buffers are `FixedArray`s, which have none.
public final class Machine {
    public let spec: MachineSpec
    /// Every zone of every node, node-major: zone id = nid * 5 + zone type.
    public let zones: [Zone]
    /// The same zones, unretained, for the hot paths: borrowing a zone from here (`withZone`)
    /// costs no reference counting, which loading it from `zones` does on every operation.
    let zoneRefs: FixedArray<Unmanaged<Zone>>
    public let nrCPUs: Int
    public let nrNodes: Int
    public let cpuNode: [Int]
    /// Per node: zone ids in the order a local allocation tries them (node_zonelists
    /// ZONELIST_FALLBACK: highest local zone down, then the other nodes by distance).
    let zonelists: [[Int]]

    @exclusivity(unchecked) public internal(set) var knobs = Knobs()
    /// The design that runs (a machine boots under the kernel's own), and its storage. Every
    /// operation enters the model through the design's type (`PolicyDriver`).
    @exclusivity(unchecked) public internal(set) var policy = Policy.baseline
    @exclusivity(unchecked) var policyObject: AnyObject = Baseline()
    @exclusivity(unchecked) public internal(set) var pcpBuddyOptions = PCPBuddyOptions()
    /// user_min_free_kbytes: -1 until someone writes min_free_kbytes.
    public internal(set) var userMinFreeKbytes = -1
    public internal(set) var totalreservePages = 0
    /// node_stat_item counters of every node (item nid * NodeStat.count + i), with per-CPU
    /// differentials.
    let nodeStats: DiffCounters
    /// Per node: the per-CPU node stat threshold (the max over the node's zones).
    let nodeThreshold: FixedArray<Int>
    /// VM event counters (sums of the per-CPU counters: exact at any time).
    let eventCounters = FixedArray<Int>(zeroed: VMEvent.count)
    public var events: [Int] { eventCounters.elements }
    /// One VM event counter, without copying them all.
    @inline(__always) public func event(_ e: VMEvent) -> Int { eventCounters[e.rawValue] }
    /// Zone ids a request from node `nid` may use for highest zone index `hz`, flattened:
    /// entries [zonelistStart[nid * 5 + hz], zonelistStart[nid * 5 + hz + 1]) of zonelistIDs.
    let zonelistIDs: FixedArray<Int>
    let zonelistStart: FixedArray<Int>
    /// Per zone id: alloc_flags_nofragment() of a request whose preferred zone it is.
    let nofragment: FixedArray<Bool>
    /// Simulated time in nanoseconds.
    @exclusivity(unchecked) public internal(set) var now: Int64 = 0
    @exclusivity(unchecked) var nextVmstatUpdate: Int64 = 0
    /// Pages currently handed out to callers (for meminfo and the checker).
    @exclusivity(unchecked) public internal(set) var allocatedPages = 0
    /// Allocations that failed (they would have needed reclaim, compaction or the OOM killer).
    @exclusivity(unchecked) public internal(set) var allocFailures = 0
    /// Per zone id: order-0 pages an import put in use for owners it cannot see (a traced
    /// machine's memory in use before the capture); a replay frees these when the trace frees
    /// a page it never saw allocated.
    public internal(set) var importedInUse: [[Int]] = []
    /// alloc_contig_range() attempts and what they met.
    @exclusivity(unchecked) public internal(set) var contig = ContigStats()
    /// The populated zones, for pfn lookups.
    let populatedZoneList: [Zone]
    /// Every node's LRU lists and the folio flags, indexed by pfn.
    let lru: LRUStore
    /// The page cache's files.
    @exclusivity(unchecked) public internal(set) var pageCache = PageCache()
    /// Per node: kswapd's state.
    @exclusivity(unchecked) var kswapd: [Kswapd] = [] {
        didSet { kswapdAwake = kswapd.contains { $0.state != .sleeping } }
    }
    /// Some node's kswapd is awake (running or napping): the engine asks every operation, and
    /// mostly all sleep.
    @exclusivity(unchecked) public private(set) var kswapdAwake = false
    /// Reclaim switches (--swap, the OOM killer's victims).
    @exclusivity(unchecked) public internal(set) var reclaim = ReclaimState()
    /// kswapd's turn under way ran balance_pgdat() (its time is a memory stall).
    @exclusivity(unchecked) var kswapdBalanced = false
    /// Processes' anonymous areas that can be swapped (anonAccess).
    @exclusivity(unchecked) var anonAreas: [AnonArea] = []
    /// The owner compaction and alloc_contig_range migrate movable pages with (nil: no page
    /// can be migrated).
    @exclusivity(unchecked) public var mover: PageMover?
    /// The workloads' held blocks whose folios migration may move (HeldBlocks.swift).
    @exclusivity(unchecked) var heldStores: [HeldStore] = []
    /// A move between holders left owner words to write (`resolveHeldOwners`).
    @exclusivity(unchecked) var heldOwnersStale = false
    /// kcompactd per node: the order and highest zone it was woken for (0: not woken), the
    /// proactive rounds still deferred, and when its timer fires next.
    @exclusivity(unchecked) var kcompactdOrder: [Int] = []
    @exclusivity(unchecked) var kcompactdHighestZone: [Int] = []
    @exclusivity(unchecked) var proactiveDefer: [Int] = []
    @exclusivity(unchecked) var nextKcompactd: Int64 = kcompactdIntervalNs
    /// The GFP bits of the THP fault under way (allocTHP); LIGHT otherwise.
    @exclusivity(unchecked) var thpGFP = THPGFP.light
    /// The last direct compaction's result (the slow path's NORETRY decision reads it).
    @exclusivity(unchecked) var lastCompactResult = CompactResult.skipped
    /// /proc/pressure/memory: stall time in direct reclaim, compaction and throttling.
    @exclusivity(unchecked) public internal(set) var psiMemory = PSIResource()

    public init(spec: MachineSpec, sysctls: [(String, String)] = []) throws(MachineError) {
        try spec.validate()
        self.spec = spec
        nrCPUs = spec.cpuCount
        nrNodes = spec.nodes.count
        var cn = [Int](repeating: 0, count: spec.cpuCount)
        for (nid, n) in spec.nodes.enumerated() { for c in n.cpus { cn[c] = nid } }
        cpuNode = cn
        var zs: [Zone] = []
        for (nid, n) in spec.nodes.enumerated() {
            for g in n.zones { zs.append(Zone(geometry: g, nid: nid, cpus: spec.cpuCount)) }
        }
        zones = zs
        zoneRefs = FixedArray(zs.map { Unmanaged.passUnretained($0) })
        populatedZoneList = zs.filter(\.isPopulated)
        lru = LRUStore(pfns: zs.map { $0.isPopulated ? $0.geometry.endPFN : 0 }.max() ?? 0, nodes: spec.nodes.count)
        kswapd = spec.nodes.map { Kswapd(cpu: $0.cpus.last ?? 0) }
        for z in zs { z.pcpLockBase = zs.count + z.id * spec.cpuCount }
        let nodes = spec.nodes.count
        zonelists = (0..<nodes).map { nid in
            let order = [nid] + (1..<nodes).map { (nid + $0) % nodes }
            return order.flatMap { n in (0..<K.nrZoneTypes).reversed().map { n * K.nrZoneTypes + $0 } }
                .filter { zs[$0].managed > 0 }
        }
        nodeStats = DiffCounters(items: nodes * NodeStat.count, cpus: spec.cpuCount)
        nodeThreshold = FixedArray(zeroed: nodes)
        var ids: [Int] = [], starts: [Int] = []
        for nid in 0..<nodes {
            for hz in 0..<K.nrZoneTypes {
                starts.append(ids.count)
                ids += zonelists[nid].filter { zs[$0].type.rawValue <= hz }
            }
        }
        starts.append(ids.count)
        zonelistIDs = FixedArray(ids)
        zonelistStart = FixedArray(starts)
        // Normal with a populated DMA32 below it (on one node, DMA32 anywhere will do).
        nofragment = FixedArray(zs.indices.map { id in zs[id].type == .normal && (nodes == 1 || zs[id - 1].isPopulated) })
        for z in zones { z.bootFree(driver) }
        psiMemory = PSIResource(cpus: nrCPUs)
        kcompactdOrder = Array(repeating: 0, count: nrNodes)
        kcompactdHighestZone = kcompactdOrder
        proactiveDefer = kcompactdOrder
        reclaim.anonCost = kcompactdOrder
        reclaim.fileCost = kcompactdOrder
        boot()
    }

    /// The boot-time sequence of mm_init / init_per_zone_wmark_min / khugepaged start.
    func boot() {
        refreshZoneStatThresholds()
        initPerZoneWmarkMin()
        if knobs.thp.enabled { setRecommendedMinFreeKbytes() }
        for z in zones where z.isPopulated { setPCPFreeHighBatch(z) }
        initUserReserve()
        nextVmstatUpdate = statInterval
    }

    /// Runs `body` on zone `id`, borrowed: `zones` keeps it alive for the machine's life.
    @inline(always) func withZone<R, E: Error>(_ id: Int, _ body: (Zone) throws(E) -> R) throws(E) -> R {
        try zoneRefs[id]._withUnsafeGuaranteedRef { z in Result { () throws(E) in try body(z) } }.get()
    }

    public func zone(nid: Int, type: ZoneType) -> Zone { zones[nid * K.nrZoneTypes + type.rawValue] }
    public var populatedZones: [Zone] { zones.filter(\.isPopulated) }

    /// stat_interval in nanoseconds.
    var statInterval: Int64 { Int64(knobs.statIntervalJiffies) * (1_000_000_000 / Int64(K.hz)) }

    /// node_page_state(): the folded node counter.
    public func nodeState(nid: Int, _ item: Int) -> Int { max(0, nodeStats.global[nid * NodeStat.count + item]) }

    @inline(__always) func modNodeState(nid: Int, cpu: Int, _ item: NodeStat, _ delta: Int) {
        nodeStats.mod(nid &* NodeStat.count &+ item.rawValue, cpu: cpu, delta, threshold: nodeThreshold[nid])
    }

    @inline(__always) func countEvent(_ e: VMEvent, _ n: Int = 1) { eventCounters[e.rawValue] &+= n }
    /// A workload ended a process for the OOM killer.
    public func countOOMKill() { countEvent(.oomKill) }

    /// Every zone->lock and pcp->lock: zone ids first, then zone * CPUs + cpu.
    public var lockCount: Int { zones.count * (1 + nrCPUs) }

    func recordContig(_ r: ContigResult) {
        contig.attempts += 1
        if r.success { contig.successes += 1 }
        contig.pagesInUse += r.pagesInUse
        contig.pagesStrandedOnPCP += r.pagesStrandedOnPCP
        contig.unmovableBlocks += r.unmovableBlocks
    }

    /// Called after vmstat_update ran on a CPU, so an engine can price that CPU's work.
    @exclusivity(unchecked) public var vmstatObserver: ((Int) -> Void)?

    /// Pages held on every PCP of every zone.
    public var pcpPagesTotal: Int {
        var n = 0
        for z in zones { n += z.pcpCountTotal }
        return n
    }

    /// free_area[].nr_free summed over the populated zones (one combined free area).
    public var combinedNrFree: [Int] {
        var n = [Int](repeating: 0, count: K.nrOrders)
        for z in zones where z.isPopulated { for o in 0...K.maxOrder { n[o] += z.nrFree[o] } }
        return n
    }

    /// Free pageblocks in a free area: order-9 blocks plus two per order-10 block.
    public static func freePageblocks(_ nrFree: [Int]) -> Int { nrFree[K.pageblockOrder] + 2 * nrFree[K.maxOrder] }

    /// Where tracepoints fire (nil: tracing off).
    @exclusivity(unchecked) public private(set) var tracer: Tracer?

    public func setTracer(_ t: Tracer?) {
        tracer = t
        for z in zones { z.tracer = t }
    }

    /// Records lock sections into `trace` (nil stops recording). The zones hold it unretained:
    /// its owner calls this with nil before the trace goes.
    public func record(into trace: LockTrace?) { for z in zones { z.trace = TraceHandle(trace) } }
}
