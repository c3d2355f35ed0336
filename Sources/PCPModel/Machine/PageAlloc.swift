/// A block handed to a caller: its zone and page index (6 bytes, so workloads can hold
/// millions of them).
public struct PageRef: Equatable, Hashable, Sendable {
    public var zone: UInt16
    public var index: UInt32
    public init(zone: Int, index: Int) {
        self.zone = UInt16(truncatingIfNeeded: zone)
        self.index = UInt32(truncatingIfNeeded: index)
    }
}

/// Why a free was refused: the caller's bookkeeping is wrong, the model stays intact.
public enum FreeError: Error, Equatable, CustomStringConvertible {
    case notAllocated(pfn: Int, zone: String, order: Int)
    public var description: String {
        switch self {
        case let .notAllocated(pfn, zone, order):
            "free of pfn \(pfn) order \(order) in zone \(zone): no such allocated block (double free or wrong order)"
        }
    }
}

/// The page allocator's entry points (__alloc_pages / __free_pages, 6.18).
extension Machine {
    /// A THP fault in a VMA with or without MADV_HUGEPAGE: the GFP bits come from `enabled` and
    /// `defrag` (vma_thp_gfp_mask). nil without counting anything when the VMA may not have a
    /// THP at all; thp_fault_fallback when the huge page could not be had.
    public func allocTHP(cpu: Int, madvised: Bool) -> PageRef? {
        guard let gfp = knobs.thpGFP(madvised: madvised) else { return nil }
        thpGFP = gfp
        defer { thpGFP = THPGFP.light }
        return allocPages(cpu: cpu, order: K.hpagePMDOrder, kind: .thp)
    }

    /// __alloc_pages(): fast path at the low watermark, then __alloc_pages_slowpath(): kswapd
    /// woken, the min watermark, direct compaction (a hook), direct reclaim with its
    /// drain-and-retry, should_reclaim_retry() and the OOM killer.
    public func allocPages(cpu: Int, order: Int, kind: AllocKind, atomic: Bool = false) -> PageRef? {
        policy.type.allocPages(self, cpu: cpu, order: order, kind: kind, gfp: atomic ? .atomic : .normal)
    }

    /// The same with an explicit GFP class (the page cache's readahead uses `.readahead`).
    public func allocPages(cpu: Int, order: Int, kind: AllocKind, gfp: GFPClass) -> PageRef? {
        policy.type.allocPages(self, cpu: cpu, order: order, kind: kind, gfp: gfp)
    }

    @inline(__always) func allocPages<P: AllocatorPolicy>(_ p: P, cpu: Int, order: Int, kind: AllocKind, gfp: GFPClass) -> PageRef? {
        precondition(cpu >= 0 && cpu < nrCPUs && order >= 0 && order <= K.maxOrder)
        let atomic = gfp == .atomic
        let nid = cpuNode[cpu]
        let hz = kind.highestZoneIdx
        let first = zonelistStart[nid &* K.nrZoneTypes &+ hz]
        guard first < zonelistStart[nid &* K.nrZoneTypes &+ hz &+ 1] else { return nil }
        let preferred = zonelistIDs[first]
        let mt = kind.migratetype
        let kswapd: AllocFlags = kind == .thp && !thpGFP.kswapdReclaim ? [] : .kswapd
        var flags: AllocFlags = [.wmarkLow, kswapd]
        flags.formUnion(allocFlagsNofragment(preferred))
        if let (id, i) = getPageFromFreelistID(p, cpu: cpu, order: order, flags: flags, mt: mt, hz: hz, preferred: preferred) {
            // Borrowed directly, not through `withZone`: its Result wrapper kept this closure
            // out of line.
            return zoneRefs[id]._withUnsafeGuaranteedRef { z in finishAlloc(cpu: cpu, z, i, order: order, kind: kind, atomic: atomic) }
        }
        if let (z, i) = allocPagesSlowpath(p, cpu: cpu, order: order, kind: kind, gfp: gfp, hz: hz, preferred: preferred) {
            return finishAlloc(cpu: cpu, z, i, order: order, kind: kind, atomic: atomic)
        }
        if kind == .thp { countEvent(.thpFaultFallback) }
        allocFailures += 1
        tracer?.emit(.pageAlloc(pfn: -1, order: order, mt: mt, kind: kind, atomic: atomic))
        return nil
    }

    /// __alloc_pages_slowpath() (mm/page_alloc.c, Linux 6.18).
    func allocPagesSlowpath<P: AllocatorPolicy>(_ p: P, cpu: Int, order: Int, kind: AllocKind, gfp: GFPClass, hz: Int, preferred: Int) -> (Zone, Int)? {
        let nid = cpuNode[cpu], mt = kind.migratetype
        let atomic = gfp == .atomic
        // gfp_to_alloc_flags().
        // A THP fault's bits follow `defrag` (allocTHP): direct reclaim and compaction, a kswapd
        // wake, __GFP_NORETRY.
        let thp = kind == .thp ? thpGFP : nil
        var slow: AllocFlags = thp.map { $0.kswapdReclaim ? [.wmarkMin, .kswapd] : .wmarkMin } ?? [.wmarkMin, .kswapd]
        if atomic {
            slow.formUnion([.minReserve, .nonBlock])
            if order > 0 { slow.insert(.highAtomic) }
        }
        let canDirectReclaim = !atomic && (thp?.directReclaim ?? true)
        let noRetry = gfp == .readahead || thp?.noRetry == true
        if slow.contains(.kswapd) { wakeAllKswapds(cpu: cpu, order: order, highestZoneIdx: hz, directReclaim: canDirectReclaim) }
        if let got = getPageFromFreelist(p, cpu: cpu, order: order, flags: slow, mt: mt, hz: hz, preferred: preferred) { return got }
        guard canDirectReclaim else { return nil }
        let costly = order > K.costlyOrder
        if costly || (order > 0 && mt != MigrateType.movable.rawValue) {
            let (got, result) = tryDirectCompaction(p, cpu: cpu, order: order, flags: slow, mt: mt, hz: hz, preferred: preferred, priority: .initial)
            if let got { return got }
            if costly && noRetry && (result == .skipped || result == .deferred) { return nil }
        }
        var noProgressLoops = 0
        var drained = false
        while true {
            if slow.contains(.kswapd) { wakeAllKswapds(cpu: cpu, order: order, highestZoneIdx: hz, directReclaim: true) }
            if let got = getPageFromFreelist(p, cpu: cpu, order: order, flags: slow, mt: mt, hz: hz, preferred: preferred) { return got }
            let (got, progress) = allocPagesDirectReclaim(p, cpu: cpu, order: order, flags: slow, mt: mt, hz: hz, preferred: preferred, drained: &drained)
            if let got { return got }
            let (c, _) = tryDirectCompaction(p, cpu: cpu, order: order, flags: slow, mt: mt, hz: hz, preferred: preferred, priority: .async)
            if let c { return c }
            if noRetry || costly { return nil }
            if shouldReclaimRetry(p, nid: nid, order: order, mt: mt, hz: hz, progress: progress > 0, loops: &noProgressLoops) { continue }
            // __alloc_pages_may_oom(): the OOM killer picks a victim; its memory comes back
            // when the workload that owns it lets go (after this allocation has failed).
            if !costly { reclaim.oomPending = true }
            return nil
        }
    }

    /// __alloc_pages_direct_reclaim() (mm/page_alloc.c, 6.18): try_to_free_pages(), then the
    /// freelists; a first failure unreserves a highatomic block and drains every PCP.
    func allocPagesDirectReclaim<P: AllocatorPolicy>(_ p: P, cpu: Int, order: Int, flags: AllocFlags, mt: Int, hz: Int, preferred: Int, drained: inout Bool) -> ((Zone, Int)?, Int) {
        psiMemstallEnter()
        let progress = tryToFreePages(cpu: cpu, order: order, hz: hz)
        psiMemstallLeave()
        while true {
            if let got = getPageFromFreelist(p, cpu: cpu, order: order, flags: flags, mt: mt, hz: hz, preferred: preferred) { return (got, progress) }
            guard !drained else { return (nil, progress) }
            unreserveHighatomicPageblock(nid: cpuNode[cpu], mt: mt, force: false, p)
            if p.drainsAllOnRetry { drainAllPages(p, cpu: cpu, zone: nil) }
            drained = true
        }
    }

    /// should_reclaim_retry() (mm/page_alloc.c, 6.18): retry while some zone could meet its min
    /// watermark with its free and reclaimable pages (less a share per loop without progress),
    /// at most MAX_RECLAIM_RETRIES loops; then a forced highatomic unreserve is the last try.
    func shouldReclaimRetry<P: AllocatorPolicy>(_ p: P, nid: Int, order: Int, mt: Int, hz: Int, progress: Bool, loops: inout Int) -> Bool {
        if progress && order <= K.costlyOrder { loops = 0 } else { loops += 1 }
        if loops > Reclaim.maxReclaimRetries { return unreserveHighatomicPageblock(nid: nid, mt: mt, force: true, p) }
        for t in 0...hz {
            let z = zones[nid * K.nrZoneTypes + t]
            guard z.isPopulated && z.managed > 0 else { continue }
            var available = reclaimablePages(nid: nid) * z.managed / max(1, nodeManaged(nid)) + z.pageStateExact(.nrFreePages)
            available -= (loops * available + Reclaim.maxReclaimRetries - 1) / Reclaim.maxReclaimRetries
            if z.zoneWatermarkOK(order: order, mark: z.watermark[0], highestZoneIdx: hz, flags: [], free: available) { return true }
        }
        return false
    }

    /// Managed pages of a node's zones.
    func nodeManaged(_ nid: Int) -> Int {
        (0..<K.nrZoneTypes).reduce(0) { $0 + zones[nid * K.nrZoneTypes + $1].managed }
    }

    /// try_to_free_pages() -> do_try_to_free_pages() (mm/vmscan.c, 6.18): allocstall at the
    /// request's zone, then shrink the nodes from DEF_PRIORITY down until SWAP_CLUSTER_MAX pages
    /// are reclaimed. Costly orders skip a zone that already has room for compaction
    /// (compaction_ready). Returns the pages reclaimed.
    func tryToFreePages(cpu: Int, order: Int, hz: Int) -> Int {
        countEvent(VMEvent(rawValue: VMEvent.allocstallDMA.rawValue + hz)!)
        let nid = cpuNode[cpu]
        // Nothing on the LRUs can be freed: the scan would only rotate lists.
        guard (0..<nrNodes).contains(where: { reclaimablePages(nid: $0) > 0 && (pageCache.pages > 0 || canReclaimAnon) }) else { return 0 }
        var sc = ScanControl(nrToReclaim: K.swapClusterMax, order: order, reclaimIdx: hz, isKswapd: false, cpu: cpu)
        repeat {
            for d in 0..<nrNodes {
                let n = (nid + d) % nrNodes
                if order > K.costlyOrder && compactionReady(nid: n, order: order, hz: hz) { continue }
                shrinkNode(nid: n, &sc)
            }
            if sc.nrReclaimed >= sc.nrToReclaim { break }
            sc.priority -= 1
        } while sc.priority >= 0
        return sc.nrReclaimed
    }

    /// compaction_ready() (mm/vmscan.c, 6.18): an eligible zone has compact_gap(order) free above
    /// its high watermark at order 0, so reclaim leaves it to compaction.
    func compactionReady(nid: Int, order: Int, hz: Int) -> Bool {
        for t in 0...hz {
            let z = zones[nid * K.nrZoneTypes + t]
            guard z.isPopulated && z.managed > 0 else { continue }
            let mark = z.highWmark + (2 << order)
            if z.zoneWatermarkOK(order: 0, mark: mark, highestZoneIdx: hz, flags: [], free: z.pageState(.nrFreePages)) { return true }
        }
        return false
    }

    /// alloc_flags_nofragment(): avoid fragmenting Normal while DMA32 could take the fallback.
    @inline(__always) func allocFlagsNofragment(_ preferred: Int) -> AllocFlags {
        knobs.defragMode == 1 || nofragment[preferred] ? .noFragment : []
    }

    /// get_page_from_freelist(), for the slow paths: the zone and page index.
    func getPageFromFreelist<P: AllocatorPolicy>(_ p: P, cpu: Int, order: Int, flags: AllocFlags, mt: Int, hz: Int, preferred: Int) -> (Zone, Int)? {
        getPageFromFreelistID(p, cpu: cpu, order: order, flags: flags, mt: mt, hz: hz, preferred: preferred).map { (zones[$0.0], $0.1) }
    }

    /// get_page_from_freelist(): the first zone of the zonelist whose watermark allows it. It
    /// returns the zone's id, so that the fast path never holds a zone reference.
    @inline(__always) func getPageFromFreelistID<P: AllocatorPolicy>(_ p: P, cpu: Int, order: Int, flags f: AllocFlags, mt: Int, hz: Int, preferred: Int) -> (Int, Int)? {
        var flags = f
        let slot = cpuNode[cpu] &* K.nrZoneTypes &+ hz
        let start = zonelistStart[slot], end = zonelistStart[slot &+ 1]
        while true {
            let noFallback = flags.contains(.noFragment)
            var retry = false
            for k in start..<end {
                let id = zonelistIDs[k]
                if noFallback && nrNodes > 1 && id != preferred && zoneNid(id) != zoneNid(preferred) {
                    flags.remove(.noFragment)
                    retry = true
                    break
                }
                let fl = flags
                if let i = withZone(id, { z in takeFromZone(p, z, cpu: cpu, order: order, flags: fl, mt: mt, hz: hz, preferred: preferred) }) {
                    return (id, i)
                }
            }
            if retry { continue }
            if noFallback && knobs.defragMode == 0 {
                flags.remove(.noFragment)
                continue
            }
            return nil
        }
    }

    /// One zone of get_page_from_freelist(): the watermark check (ZONE_BELOW_HIGH first), then
    /// rmqueue().
    @inline(__always) func takeFromZone<P: AllocatorPolicy>(_ p: P, _ z: Zone, cpu: Int, order: Int, flags: AllocFlags, mt: Int, hz: Int, preferred: Int) -> Int? {
        var ok = false
        if !z.belowHigh {
            ok = z.zoneWatermarkFast(order: order, mark: z.highWmark, highestZoneIdx: hz, flags: flags)
            if !ok { z.belowHigh = true }
        }
        if !ok && !z.zoneWatermarkFast(order: order, mark: z.wmarkPages(flags.wmarkIndex), highestZoneIdx: hz, flags: flags) {
            return nil
        }
        guard let i = rmqueue(p, z, cpu: cpu, order: order, mt: mt, flags: flags) else { return nil }
        if flags.contains(.highAtomic) { z.reserveHighatomicPageblock(i, order: order, p) }
        zoneStatistics(preferred: preferred, z, cpu: cpu)
        return i
    }

    /// rmqueue(): the orders the design keeps on PCPs try this CPU's PCP first, then the buddy
    /// directly.
    @inline(__always) func rmqueue<P: AllocatorPolicy>(_ p: P, _ z: Zone, cpu: Int, order: Int, mt: Int, flags: AllocFlags) -> Int? {
        var page: Int?
        if p.servesFromPCP(order: order) && z.trylockPCP(cpu) {
            z.lockPCP(cpu)
            // rmqueue_pcplist(): an allocation ends a run of frees (alloc_pages_bulk(), which
            // calls __rmqueue_pcplist() directly, leaves free_count alone).
            z.pcp[cpu].freeCount >>= 1
            page = p.rmqueuePCP(z, cpu: cpu, order: order, mt: mt, flags: flags)
            z.unlockPCP(cpu)
        }
        if page == nil { page = z.rmqueueBuddy(cpu, order: order, mt: mt, flags: flags, p) }
        if page != nil {
            p.allocated(z, cpu: cpu, now: now)
            eventCounters[VMEvent.pgallocDMA.rawValue &+ z.type.rawValue] &+= 1 &<< order
            if flags.contains(.kswapd) && z.boostedWatermark {
                z.boostedWatermark = false
                wakeupKswapd(nid: z.nid, order: 0, highestZoneIdx: z.type.rawValue, directReclaim: false)
            }
        }
        return page
    }

    /// zone_statistics(): one NUMA hit/miss and local/other event per allocation.
    @inline(__always) func zoneStatistics(preferred: Int, _ z: Zone, cpu: Int) {
        guard knobs.numaStat == 1 else { return }
        if z.nid == zoneNid(preferred) {
            z.numa[NumaEvent.hit.rawValue] &+= 1
        } else {
            z.numa[NumaEvent.miss.rawValue] &+= 1
            zones[preferred].numa[NumaEvent.foreign.rawValue] &+= 1
        }
        z.numa[(z.nid == cpuNode[cpu] ? NumaEvent.local : NumaEvent.other).rawValue] &+= 1
    }

    /// prep_new_page() and the caller's own accounting (rmap, slab, page tables...).
    @inline(always) func finishAlloc(cpu: Int, _ z: Zone, _ i: Int, order: Int, kind: AllocKind, atomic: Bool, traced: Bool = true) -> PageRef {
        if traced { tracer?.emit(.pageAlloc(pfn: z.pfn(i), order: order, mt: kind.migratetype, kind: kind, atomic: atomic)) }
        z.pages.setAllocated(i, order: order, kind: kind)
        allocatedPages &+= 1 &<< order
        accountKind(z, cpu: cpu, kind: kind, pages: 1 << order)
        if kind.onLRU { lruAddNew(z, cpu: cpu, pfn: z.pfn(i), order: order, file: kind == .file) }
        if kind == .anon || kind == .thp { countEvent(.pgfault) }
        if kind == .thp { countEvent(.thpFaultAlloc) }
        return PageRef(zone: z.id, index: i)
    }

    /// The node of zone `id` (zone ids are node-major).
    @inline(__always) func zoneNid(_ id: Int) -> Int { Int(bitPattern: UInt(bitPattern: id) / UInt(K.nrZoneTypes)) }

    /// The zone and node counters a block of `kind` feeds while it is in use.
    @inline(__always) func accountKind(_ z: Zone, cpu: Int, kind: AllocKind, pages n: Int) {
        let nid = z.nid
        switch kind {
        case .anon, .thp:
            z.modState(.nrZoneInactiveAnon, cpu: cpu, n)
            modNodeState(nid: nid, cpu: cpu, .nrInactiveAnon, n)
            modNodeState(nid: nid, cpu: cpu, .nrAnonPages, n)
            if kind == .thp { modNodeState(nid: nid, cpu: cpu, .nrAnonTransparentHugepages, n) }
        case .file:
            z.modState(.nrZoneInactiveFile, cpu: cpu, n)
            modNodeState(nid: nid, cpu: cpu, .nrInactiveFile, n)
            modNodeState(nid: nid, cpu: cpu, .nrFilePages, n)
        case .slabReclaimable: modNodeState(nid: nid, cpu: cpu, .nrSlabReclaimable, n)
        case .slabUnreclaimable: modNodeState(nid: nid, cpu: cpu, .nrSlabUnreclaimable, n)
        case .pageTable: modNodeState(nid: nid, cpu: cpu, .nrPageTablePages, n)
        case .kernelStack: modNodeState(nid: nid, cpu: cpu, .nrKernelStackKB, n * (K.pageSize / 1024))
        case .kernel: break
        }
    }

    /// __free_pages() -> __free_frozen_pages() (6.18): PCP orders go to this CPU's PCP unless
    /// the block is isolated; other orders straight to the buddy. `pcpLockHeld`: the free
    /// interrupts code on this CPU that holds its pcp->lock, so the trylock fails.
    public func freePages(cpu: Int, _ ref: PageRef, order: Int, pcpLockHeld: Bool = false) throws(FreeError) {
        try policy.type.freePages(self, cpu: cpu, ref, order: order, pcpLockHeld: pcpLockHeld)
    }

    @inline(__always) func freePages<P: AllocatorPolicy>(_ p: P, cpu: Int, _ ref: PageRef, order: Int, pcpLockHeld: Bool) throws(FreeError) {
        precondition(cpu >= 0 && cpu < nrCPUs)
        let id = Int(ref.zone), i = Int(ref.index)
        guard id < zones.count else { throw .notAllocated(pfn: -1, zone: "#\(id)", order: order) }
        try withZone(id) { z throws(FreeError) in try freePages(p, z, cpu: cpu, i, order: order, pcpLockHeld: pcpLockHeld) }
    }

    @inline(__always) func freePages<P: AllocatorPolicy>(_ p: P, _ z: Zone, cpu: Int, _ i: Int, order: Int, pcpLockHeld: Bool) throws(FreeError) {
        guard i < z.pages.count, order >= 0, order <= K.maxOrder, let kind = z.pages.allocatedHeadKind(i, order: order) else {
            throw .notAllocated(pfn: z.pfn(i), zone: z.type.name, order: order)
        }
        tracer?.emit(.pageFree(pfn: z.pfn(i), order: order))
        // Only LRU kinds carry LRU flags (the checker holds every allocated block to it), so
        // a kernel, slab or page-table block leaves its flags' line untouched.
        if kind.onLRU && lru.flags[z.pfn(i)] != 0 { lruDelOnFree(z, cpu: cpu, pfn: z.pfn(i), kindFile: kind == .file) }
        accountKind(z, cpu: cpu, kind: kind, pages: -(1 << order))
        allocatedPages &-= 1 &<< order
        countEvent(.pgfree, 1 &<< order)
        var mt = z.blockType(i)
        if p.freeOwned(self, z, cpu: cpu, i, order: order, mt: mt, pcpLockHeld: pcpLockHeld) { return }
        if !pcpAllowedOrder(order) || mt == MigrateType.isolate.rawValue {
            z.freeOneUnderLock(cpu, i, order: order, p)
            return
        }
        if mt >= MigrateType.pcpTypes { mt = MigrateType.movable.rawValue }
        guard !pcpLockHeld && z.trylockPCP(cpu) else {
            z.freeOneUnderLock(cpu, i, order: order, p)
            return
        }
        z.lockPCP(cpu)
        z.freeFrozenPageCommit(cpu, i, mt: mt, order: order, p)
        z.unlockPCP(cpu)
    }

    /// The pfn of a block a caller holds.
    public func pfn(of ref: PageRef) -> Int { zones[Int(ref.zone)].pfn(Int(ref.index)) }
}
