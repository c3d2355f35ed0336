/// An immutable copy of everything the /proc views print, taken between two model steps.
/// Renderers read only this, so a file is always one consistent state.
public struct Snapshot: Sendable {
    public struct PCP: Sendable {
        public var count, high, batch, highMin, highMax, allocFactor, freeCount: Int
        public var flags: UInt8
        /// Entries (blocks) on each of the 14 lists.
        public var listLengths: [Int]
        /// Owning policies: pages in the buddy area, pageblocks owned, blocks on owned_blocks,
        /// routed frees received and sent.
        public var buddyAreaPages, ownedBlocks, ownedBlocksListed, routedIn, routedOut: Int
    }

    public struct ZoneState: Sendable {
        public var geometry: ZoneGeometry
        public var nid: Int
        /// free_area[order].nr_free.
        public var nrFree: [Int]
        /// [migratetype][order] blocks on each free list.
        public var freeByType: [[Int]]
        /// Pageblocks of each migratetype.
        public var blocksByType: [Int]
        public var watermark: [Int]
        public var watermarkBoost: Int
        public var lowmemReserve: [Int]
        public var statThreshold: Int
        /// zone_page_state() values (folded) in ZoneStat order.
        public var vmStat: [Int]
        public var numa: [Int]
        public var pcp: [PCP]
        public var nrReservedHighatomic: Int
        public var nrFreeHighatomic: Int
        public var lock: LockCounters
        public var extfragEvents: Int
        public var isPopulated: Bool { geometry.isPopulated }
    }

    public struct NodeState: Sendable {
        /// node_page_state() values (folded) in 6.18 node_stat_item order.
        public var stat: [Int]
        public var cpus: [Int]
    }

    public var zones: [ZoneState]
    public var nodes: [NodeState]
    public var events: [Int]
    public var knobs: Knobs
    public var userMinFreeKbytes: Int
    public var totalreservePages: Int
    public var nrCPUs: Int
    public var now: Int64
    public var allocatedPages: Int
    public var allocFailures: Int
    public var policy: Policy
    public var pcpBuddyOptions: PCPBuddyOptions
    /// /proc/pressure/memory's state.
    public var psiMemory: PSIResource
    /// The engine's lock_stat figures, when an engine drives the machine.
    public var locks: EngineLocks?
    /// The swap device (--swap): size and free pages (meminfo SwapTotal / SwapFree).
    public var swapTotalPages = 0
    public var swapFreePages = 0
    /// Pages in the page cache's files (a part of NR_FILE_PAGES: workloads may hold file
    /// pages outside it).
    public var pageCachePages = 0
    /// Per node: whether kswapd is awake (running or napping).
    public var kswapdAwake: [Bool] = []
    /// The engine's CPU time accounting, when an engine drives the machine.
    public var cpu: CPUTimes?
    /// The wall-clock second the machine booted (a running mount's start; 0 otherwise).
    public var bootTime = 0
    /// Tasks running and in total, and the last pid: the tasks a reader finds in /proc/PID are
    /// the host's (none are simulated), so a mount takes these from the host's loadavg.
    public var tasks = (running: 1, total: 1, lastPid: 0)

    public func zones(ofNode nid: Int) -> ArraySlice<ZoneState> {
        zones[(nid * K.nrZoneTypes)..<((nid + 1) * K.nrZoneTypes)]
    }

    public func event(_ e: VMEvent) -> Int { events[e.rawValue] }
}

extension Machine {
    /// Copies the state the renderers need. O(zones x CPUs + pageblocks).
    public func snapshot() -> Snapshot {
        let zs = zones.map { z -> Snapshot.ZoneState in
            let f = driver.figures(z)
            let pcps = (0..<(z.isPopulated ? nrCPUs : 0)).map { c -> Snapshot.PCP in
                let p = z.pcp[c]
                return Snapshot.PCP(count: p.count, high: p.high, batch: p.batch, highMin: p.highMin,
                                    highMax: p.highMax, allocFactor: p.allocFactor, freeCount: p.freeCount,
                                    flags: p.flags,
                                    listLengths: (0..<K.nrPCPLists).map { z.pcpListLength(cpu: c, pindex: $0) },
                                    buddyAreaPages: f.pcp[c].buddyAreaPages,
                                    ownedBlocks: f.pcp[c].ownedBlocks, ownedBlocksListed: f.pcp[c].ownedBlocksListed,
                                    routedIn: f.pcp[c].routedIn, routedOut: f.pcp[c].routedOut)
            }
            return Snapshot.ZoneState(
                geometry: z.geometry, nid: z.nid, nrFree: z.nrFree.elements,
                freeByType: (0..<MigrateType.count).map { mt in (0...K.maxOrder).map { z.freeCount(order: $0, mt: mt) } },
                blocksByType: z.pageblockTypeCounts(), watermark: z.watermark.elements, watermarkBoost: z.watermarkBoost,
                lowmemReserve: z.lowmemReserve.elements, statThreshold: z.statThreshold,
                vmStat: ZoneStat.allCases.map { z.pageState($0) }, numa: z.numaEvents, pcp: pcps,
                nrReservedHighatomic: z.nrReservedHighatomic, nrFreeHighatomic: z.nrFreeHighatomic,
                lock: z.lock, extfragEvents: z.extfragEvents)
        }
        let ns = (0..<nrNodes).map { nid in
            Snapshot.NodeState(stat: (0..<NodeStat.count).map { nodeState(nid: nid, $0) }, cpus: spec.nodes[nid].cpus)
        }
        var s = Snapshot(zones: zs, nodes: ns, events: events, knobs: knobs, userMinFreeKbytes: userMinFreeKbytes,
                         totalreservePages: totalreservePages, nrCPUs: nrCPUs, now: now,
                         allocatedPages: allocatedPages, allocFailures: allocFailures,
                         policy: policy, pcpBuddyOptions: pcpBuddyOptions, psiMemory: psiMemory)
        s.swapTotalPages = reclaim.swapPages
        s.swapFreePages = reclaim.swapPages - reclaim.swapUsed
        s.pageCachePages = pageCache.pages
        s.kswapdAwake = kswapd.map { $0.state != .sleeping }
        return s
    }
}
