/// The result of one simulation, with stable keys (the JSON of `pcpsim run --json`).
public struct RunMetrics: Codable, Sendable, Equatable {
    public struct Lock: Codable, Sendable, Equatable {
        public var acquisitions, contentions, conBounces, acqBounces: Int
        public var waitNsTotal, waitNsMax, waitNsMin, holdNsTotal, holdNsMax, holdNsMin: Double
        /// pcp->lock only.
        public var remoteAcquisitions: Int?
        enum CodingKeys: String, CodingKey {
            case acquisitions, contentions, conBounces = "con_bounces", acqBounces = "acq_bounces"
            case waitNsTotal = "wait_ns_total", waitNsMax = "wait_ns_max", waitNsMin = "wait_ns_min"
            case holdNsTotal = "hold_ns_total", holdNsMax = "hold_ns_max", holdNsMin = "hold_ns_min"
            case remoteAcquisitions = "remote_acquisitions"
        }

        init(_ s: LockStats, remote: Bool) {
            acquisitions = s.acquisitions; contentions = s.contentions
            conBounces = s.conBounces; acqBounces = s.acqBounces
            waitNsTotal = s.waitNsTotal; waitNsMax = s.waitNsMax; waitNsMin = s.waitNsMin
            holdNsTotal = s.holdNsTotal; holdNsMax = s.holdNsMax; holdNsMin = s.holdNsMin
            remoteAcquisitions = remote ? s.remoteAcquisitions : nil
        }
    }

    public struct Locks: Codable, Sendable, Equatable { public var zone: Lock; public var pcp: Lock }
    public struct Merges: Codable, Sendable, Equatable {
        public var zoneLock: Int, pcpLock: Int
        enum CodingKeys: String, CodingKey { case zoneLock = "zone_lock", pcpLock = "pcp_lock" }
    }
    public struct PCPPages: Codable, Sendable, Equatable { public var mean: Double; public var peak: Int }

    public struct CPU: Codable, Sendable, Equatable {
        public var cpu, node, allocs, failedAllocs, frees, pagesAllocated, pagesFreed: Int
        public var zoneLock: Lock, pcpLock: Lock
        /// Pages on this CPU's PCPs, all zones, at the end.
        public var pcpCount: Int
        /// Its pcp->high in each populated zone at the end.
        public var pcpHigh: [Int]
        /// Owning policies: frees routed to this CPU as owner, and frees it routed away.
        public var routedFreesIn: Int
        public var routedFreesOut: Int
        enum CodingKeys: String, CodingKey {
            case cpu, node, allocs, failedAllocs = "failed_allocs", frees
            case pagesAllocated = "pages_allocated", pagesFreed = "pages_freed"
            case zoneLock = "zone_lock", pcpLock = "pcp_lock", pcpCount = "pcp_count", pcpHigh = "pcp_high"
            case routedFreesIn = "routed_frees_in", routedFreesOut = "routed_frees_out"
        }
    }

    public var policy: String
    public var workload: String
    public var seed: UInt64
    public var ops: Int
    public var simSeconds: Double
    public var throughputPagesPerSimS: Double
    public var pagesAllocated: Int
    public var pagesFreed: Int
    public var allocFailures: Int
    public var locks: Locks
    public var zoneLockPagesPerAcquisition: Double
    public var merges: Merges
    public var pcpPages: PCPPages
    public var freePageblocks: Int
    /// Keyed by order "0"..."10", in thousandths, over all populated zones' free areas together.
    public var unusableIndex: [String: Int]
    public var fragmentationIndex: [String: Int]
    public var perCPU: [CPU]
    public var series: [Engine.Sample]
    /// THP faults that got a huge page, and those that fell back.
    public var thpFaultAlloc: Int
    public var thpFaultFallback: Int
    /// alloc_contig_range() attempts (the contig workload).
    public var contig: ContigStats
    /// Share of allocated pages that did not come fresh from the buddy by a refill: pages the
    /// PCPs reused.
    public var pcpReuse: Double
    /// Pages each pcp-buddy refill phase (0-3) brought, keyed "0"..."3".
    public var refillPhasePages: [String: Int]
    public var ownership: Ownership
    /// Simulated seconds of warm-up the figures leave out (Warmup.swift); absent: whole run.
    public var warmupSeconds: Double? = nil

    /// The owning policies' bookkeeping at the end of the run.
    public struct Ownership: Codable, Sendable, Equatable {
        /// Frees sent to the owner's PCP, and those whose owner had gone cold.
        public var routedFrees: Int, routedFreesOwnerCold: Int
        /// Mean length of a PCP's owned_blocks list (per CPU and zone, over populated zones).
        public var ownedBlocksListedMean: Double
        /// Weiner's estimate of that length: pcp->high / average free pages per pageblock.
        public var ownedBlocksPredicted: Double
        /// Measured over predicted (1 when the estimate is exact; 0 when nothing is owned).
        public var ownedBlocksRatio: Double
        enum CodingKeys: String, CodingKey {
            case routedFrees = "routed_frees", routedFreesOwnerCold = "routed_frees_owner_cold"
            case ownedBlocksListedMean = "owned_blocks_listed_mean", ownedBlocksPredicted = "owned_blocks_predicted"
            case ownedBlocksRatio = "owned_blocks_ratio"
        }
    }

    enum CodingKeys: String, CodingKey {
        case policy, workload, seed, ops, simSeconds = "sim_seconds"
        case throughputPagesPerSimS = "throughput_pages_per_sim_s"
        case pagesAllocated = "pages_allocated", pagesFreed = "pages_freed", allocFailures = "alloc_failures"
        case locks, zoneLockPagesPerAcquisition = "zone_lock_pages_per_acquisition", merges
        case pcpPages = "pcp_pages", freePageblocks = "free_pageblocks"
        case unusableIndex = "unusable_index", fragmentationIndex = "fragmentation_index"
        case perCPU = "per_cpu", series
        case thpFaultAlloc = "thp_fault_alloc", thpFaultFallback = "thp_fault_fallback", contig
        case pcpReuse = "pcp_reuse", refillPhasePages = "refill_phase_pages", ownership, warmupSeconds = "warmup_seconds"
    }
}

extension Engine {
    /// The metrics of everything run so far.
    public func metrics(policy: String, workload: String, seed: UInt64) -> RunMetrics {
        let m = machine
        let t = totals
        let nrFree = m.combinedNrFree
        let moved = m.zones.reduce(0) { $0 + $1.lock.pagesMoved }
        let acquisitions = m.zones.reduce(0) { $0 + $1.lock.acquisitions }
        let figures = m.zones.map(m.driver.figures)
        let perCPU = (0..<m.nrCPUs).map { c in
            RunMetrics.CPU(cpu: c, node: m.cpuNode[c], allocs: perCPUOps[c].allocs, failedAllocs: perCPUOps[c].failedAllocs,
                           frees: perCPUOps[c].frees, pagesAllocated: perCPUOps[c].pagesAllocated,
                           pagesFreed: perCPUOps[c].pagesFreed,
                           zoneLock: .init(perCPUZoneLock[c], remote: false), pcpLock: .init(perCPUPCPLock[c], remote: true),
                           pcpCount: m.populatedZones.reduce(0) { $0 + $1.pcp[c].count },
                           pcpHigh: m.populatedZones.map { $0.pcp[c].high },
                           routedFreesIn: figures.reduce(0) { $0 + $1.pcp[c].routedIn },
                           routedFreesOut: figures.reduce(0) { $0 + $1.pcp[c].routedOut })
        }
        let orders = (0...K.maxOrder)
        return RunMetrics(
            policy: policy, workload: workload, seed: seed, ops: operations, simSeconds: simSeconds,
            throughputPagesPerSimS: simSeconds > 0 ? Double(t.pagesAllocated) / simSeconds : 0,
            pagesAllocated: t.pagesAllocated, pagesFreed: t.pagesFreed, allocFailures: t.failedAllocs,
            locks: .init(zone: .init(zoneLock, remote: false), pcp: .init(pcpLock, remote: true)),
            zoneLockPagesPerAcquisition: acquisitions > 0 ? Double(moved) / Double(acquisitions) : 0,
            merges: .init(zoneLock: mergesUnderZoneLock, pcpLock: mergesUnderPCPLock),
            pcpPages: .init(mean: pcpPagesMean, peak: max(pcpPagesPeak, m.pcpPagesTotal)),
            freePageblocks: Machine.freePageblocks(nrFree),
            unusableIndex: Dictionary(uniqueKeysWithValues: orders.map { ("\($0)", Fragmentation.unusableIndex(nrFree, order: $0)) }),
            fragmentationIndex: Dictionary(uniqueKeysWithValues: orders.map { ("\($0)", Fragmentation.fragmentationIndex(nrFree, order: $0)) }),
            perCPU: perCPU, series: samples,
            thpFaultAlloc: m.events[VMEvent.thpFaultAlloc.rawValue], thpFaultFallback: m.events[VMEvent.thpFaultFallback.rawValue],
            contig: m.contig,
            pcpReuse: t.pagesAllocated > 0 ? max(0, 1 - Double(m.zones.reduce(0) { $0 + $1.lock.refillPages }) / Double(t.pagesAllocated)) : 0,
            refillPhasePages: Dictionary(uniqueKeysWithValues: (0..<4).map { k in ("\(k)", figures.reduce(0) { $0 + $1.refillPhasePages[k] }) }),
            ownership: ownershipFigures(figures))
    }

    /// owned_blocks lengths against Weiner's estimate, over every CPU and populated zone.
    func ownershipFigures(_ figures: [PolicyFigures]) -> RunMetrics.Ownership {
        let m = machine
        var listed = 0, predicted = 0.0, n = 0
        for z in m.populatedZones {
            // Free pages per owned block: its fragments in the zone plus its pages on PCPs.
            let f = figures[z.id]
            let perBlock = f.ownedBlocks > 0 ? max(1, Double(f.ownedFreePages) / Double(f.ownedBlocks)) : Double(K.pageblockNrPages)
            for c in 0..<m.nrCPUs {
                listed += f.pcp[c].ownedBlocksListed
                predicted += Double(z.pcp[c].high) / perBlock
                n += 1
            }
        }
        let mean = n > 0 ? Double(listed) / Double(n) : 0, pred = n > 0 ? predicted / Double(n) : 0
        return .init(routedFrees: figures.reduce(0) { $0 + $1.routedFrees },
                     routedFreesOwnerCold: figures.reduce(0) { $0 + $1.routedFreesOwnerCold },
                     ownedBlocksListedMean: mean, ownedBlocksPredicted: pred,
                     ownedBlocksRatio: pred > 0 ? mean / pred : 0)
    }
}
