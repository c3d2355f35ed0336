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
    /// __alloc_pages(): fast path at the low watermark, then the slowpath's min watermark, one
    /// drain_all_pages() retry and the highatomic reserve before giving up. Reclaim and
    /// compaction are not modelled, so a request that needs them fails.
    public func allocPages(cpu: Int, order: Int, kind: AllocKind, atomic: Bool = false) -> PageRef? {
        policy.type.allocPages(self, cpu: cpu, order: order, kind: kind, atomic: atomic)
    }

    @inline(__always) func allocPages<P: AllocatorPolicy>(_ p: P, cpu: Int, order: Int, kind: AllocKind, atomic: Bool) -> PageRef? {
        precondition(cpu >= 0 && cpu < nrCPUs && order >= 0 && order <= K.maxOrder)
        let nid = cpuNode[cpu]
        let hz = kind.highestZoneIdx
        let first = zonelistStart[nid * K.nrZoneTypes + hz]
        guard first < zonelistStart[nid * K.nrZoneTypes + hz + 1] else { return nil }
        let preferred = zonelistIDs[first]
        let mt = kind.migratetype
        let kswapd: AllocFlags = kind == .thp ? [] : .kswapd
        var flags: AllocFlags = [.wmarkLow, kswapd]
        flags.formUnion(allocFlagsNofragment(preferred))
        if let (id, i) = getPageFromFreelistID(p, cpu: cpu, order: order, flags: flags, mt: mt, hz: hz, preferred: preferred) {
            return withZone(id) { z in finishAlloc(cpu: cpu, z, i, order: order, kind: kind, atomic: atomic) }
        }
        // __alloc_pages_slowpath(): gfp_to_alloc_flags().
        var slow: AllocFlags = [.wmarkMin, kswapd]
        if atomic {
            slow.formUnion([.minReserve, .nonBlock])
            if order > 0 { slow.insert(.highAtomic) }
        }
        if slow.contains(.kswapd) { kswapdPending = true }
        var drained = false, unreserved = false
        while true {
            if let (z, i) = getPageFromFreelist(p, cpu: cpu, order: order, flags: slow, mt: mt, hz: hz, preferred: preferred) {
                return finishAlloc(cpu: cpu, z, i, order: order, kind: kind, atomic: atomic)
            }
            // Only a request that may sleep reaches direct reclaim and its drain-and-retry.
            guard !atomic, kind != .thp else { break }
            if !drained {
                unreserveHighatomicPageblock(nid: nid, mt: mt, force: false, p)
                if p.drainsAllOnRetry { drainAllPages(p, cpu: cpu, zone: nil) }
                drained = true
                continue
            }
            if !unreserved {
                unreserved = true
                if unreserveHighatomicPageblock(nid: nid, mt: mt, force: true, p) { continue }
            }
            break
        }
        if kind == .thp { countEvent(.thpFaultFallback) }
        allocFailures += 1
        tracer?.emit(.pageAlloc(pfn: -1, order: order, mt: mt, kind: kind, atomic: atomic))
        return nil
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
        let slot = cpuNode[cpu] * K.nrZoneTypes + hz
        let start = zonelistStart[slot], end = zonelistStart[slot + 1]
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
            page = p.rmqueuePCP(z, cpu: cpu, order: order, mt: mt, flags: flags)
            z.unlockPCP(cpu)
        }
        if page == nil { page = z.rmqueueBuddy(cpu, order: order, mt: mt, flags: flags, p) }
        if page != nil {
            p.allocated(z, cpu: cpu, now: now)
            eventCounters[VMEvent.pgallocDMA.rawValue + z.type.rawValue] += 1 << order
            if flags.contains(.kswapd) && z.boostedWatermark {
                z.boostedWatermark = false
                kswapdPending = true
            }
        }
        return page
    }

    /// zone_statistics(): one NUMA hit/miss and local/other event per allocation.
    @inline(__always) func zoneStatistics(preferred: Int, _ z: Zone, cpu: Int) {
        guard knobs.numaStat == 1 else { return }
        if z.nid == zoneNid(preferred) {
            z.numa[NumaEvent.hit.rawValue] += 1
        } else {
            z.numa[NumaEvent.miss.rawValue] += 1
            zones[preferred].numa[NumaEvent.foreign.rawValue] += 1
        }
        z.numa[(z.nid == cpuNode[cpu] ? NumaEvent.local : NumaEvent.other).rawValue] += 1
    }

    /// prep_new_page() and the caller's own accounting (rmap, slab, page tables...).
    @inline(__always) func finishAlloc(cpu: Int, _ z: Zone, _ i: Int, order: Int, kind: AllocKind, atomic: Bool) -> PageRef {
        tracer?.emit(.pageAlloc(pfn: z.pfn(i), order: order, mt: kind.migratetype, kind: kind, atomic: atomic))
        z.pages.set(i, .allocated, order: order)
        z.pages.setKind(i, kind.rawValue)
        allocatedPages += 1 << order
        accountKind(z, cpu: cpu, kind: kind, pages: 1 << order)
        if kind == .anon || kind == .thp { countEvent(.pgfault) }
        if kind == .thp { countEvent(.thpFaultAlloc) }
        return PageRef(zone: z.id, index: i)
    }

    /// The node of zone `id` (zone ids are node-major).
    @inline(__always) func zoneNid(_ id: Int) -> Int { id / K.nrZoneTypes }

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
        guard i < z.pages.count, order >= 0, order <= K.maxOrder, z.pages.isHead(i, .allocated, order: order) else {
            throw .notAllocated(pfn: z.pfn(i), zone: z.type.name, order: order)
        }
        let kind = z.pages.allocKind(i)
        tracer?.emit(.pageFree(pfn: z.pfn(i), order: order))
        accountKind(z, cpu: cpu, kind: kind, pages: -(1 << order))
        allocatedPages -= 1 << order
        countEvent(.pgfree, 1 << order)
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
