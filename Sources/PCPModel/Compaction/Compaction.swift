/// Memory compaction (mm/compaction.c, Linux 6.18): a migrate scanner walks a zone's pageblocks
/// up from the start isolating movable pages, a free scanner walks down from the end isolating
/// free pages, and each isolated page is migrated into a free one until the scanners meet or
/// the requested order is free.
///
/// One compact_control lives for one compaction run, inside one operation of the engine, so
/// pages isolated by either scanner are always migrated or put back before anybody else looks.
final class CompactControl {
    let zone: Zone
    let cpu: Int
    /// -1: compact_memory (the whole zone, no order to satisfy).
    let order: Int
    let mode: MigrateMode
    let direct: Bool
    let proactive: Bool
    let ignoreSkipHint: Bool
    let daemon: Bool
    var migratePFN: Int
    var freePFN: Int
    /// Isolated sources (block heads) and the free pages taken for them, by order.
    var migrate: [Int] = []
    var migratePages = 0
    var freepages: [[Int]] = Array(repeating: [], count: K.nrOrders)
    var nrFreepages = 0
    var migrateScanned = 0, freeScanned = 0
    /// alloc_contig_range's targets come from the buddy allocator (alloc_migration_target),
    /// not from a free scanner.
    var targetsFromBuddy = false

    init(zone: Zone, cpu: Int, order: Int, mode: MigrateMode, direct: Bool, proactive: Bool = false, daemon: Bool = false,
         ignoreSkipHint: Bool = false, migratePFN: Int, freePFN: Int) {
        self.zone = zone; self.cpu = cpu; self.order = order; self.mode = mode; self.direct = direct
        self.proactive = proactive; self.daemon = daemon; self.ignoreSkipHint = ignoreSkipHint
        self.migratePFN = migratePFN; self.freePFN = freePFN
    }
}

/// COMPACT_CLUSTER_MAX (SWAP_CLUSTER_MAX): pages isolated per migration batch.
let compactClusterMax = 32
/// COMPACT_MAX_DEFER_SHIFT.
let compactMaxDeferShift = 6

extension Zone {
    /// The zone's first and last-plus-one page index.
    var compactStart: Int { index(geometry.startPFN) }
    var compactEnd: Int { index(geometry.endPFN) }

    @inline(__always) func pageblockSkip(_ i: Int) -> Bool { pageblocks[i >> K.pageblockOrder].skip }
    @inline(__always) func setPageblockSkip(_ i: Int, _ on: Bool) { pageblocks[i >> K.pageblockOrder].skip = on }

    /// __reset_isolation_suitable(): clear every skip bit and restart both scanners.
    func resetIsolationSuitable() {
        var b = compactStart & ~(K.pageblockNrPages - 1)
        while b < compactEnd { setPageblockSkip(b, false); b += K.pageblockNrPages }
        compact.cachedMigrate = [-1, -1]
        compact.cachedFree = -1
        compact.blockskipFlush = false
    }

    /// compaction_restarting(), Linux 6.18: deferred to the limit and considered again, so the
    /// next attempt starts over with fresh skip bits.
    func compactionRestarting(order: Int) -> Bool {
        order >= compact.orderFailed && compact.deferShift == compactMaxDeferShift && compact.considered >= 1 << compact.deferShift
    }

    /// compaction_deferred(), Linux 6.18.
    func compactionDeferred(order: Int) -> Bool {
        let limit = 1 << compact.deferShift
        if order < compact.orderFailed { return false }
        compact.considered += 1
        if compact.considered >= limit {
            compact.considered = limit
            return false
        }
        return true
    }

    /// defer_compaction(), Linux 6.18.
    func deferCompaction(order: Int) {
        compact.considered = 0
        compact.deferShift = min(compact.deferShift + 1, compactMaxDeferShift)
        if order < compact.orderFailed { compact.orderFailed = order }
    }

    /// compaction_defer_reset(), Linux 6.18.
    func compactionDeferReset(order: Int, allocSuccess: Bool) {
        if allocSuccess {
            compact.considered = 0
            compact.deferShift = 0
        }
        if order >= compact.orderFailed { compact.orderFailed = order + 1 }
    }

    /// compaction_suitable(), Linux 6.18: enough free pages above the low (costly orders) or min
    /// watermark plus compact_gap() to migrate into, and for costly orders a fragmentation
    /// index above extfrag_threshold (a failure from lack of memory is left to reclaim).
    func compactionSuitable(order: Int, highestZoneIdx hz: Int, extfragThreshold: Int) -> Bool {
        let mark = (order > K.costlyOrder ? watermark[1] : watermark[0]) + (2 << order)
        guard zoneWatermarkOK(order: 0, mark: mark, highestZoneIdx: hz, flags: [], free: pageState(.nrFreePages)) else { return false }
        if order > K.costlyOrder {
            let index = Fragmentation.fragmentationIndex(nrFree.elements, order: order)
            if index >= 0 && index <= extfragThreshold { return false }
        }
        return true
    }

    /// fragmentation_score_zone() for a node of `nodePresent` pages: extfrag_for_order() at
    /// COMPACTION_HPAGE_ORDER, weighted by the zone's share of the node.
    func fragmentationScoreWeighted(nodePresent: Int) -> Int {
        let info = Fragmentation.contigInfo(nrFree.elements, order: K.hpagePMDOrder)
        let extfrag = info.freePages == 0 ? 0 : (info.freePages - (info.suitable << K.hpagePMDOrder)) * 100 / info.freePages
        return geometry.present * extfrag / (nodePresent + 1)
    }
}

extension Machine {
    /// compact_zone(), Linux 6.18.
    func compactZone<P: AllocatorPolicy>(_ p: P, _ cc: CompactControl, highestZoneIdx hz: Int) -> CompactResult {
        let z = cc.zone
        if cc.order > 0 {
            // compaction_suit_allocation_order(): done already, or not worth it.
            if z.zoneWatermarkOK(order: cc.order, mark: z.watermark[1], highestZoneIdx: hz, flags: [], free: z.pageState(.nrFreePages)) {
                return .success
            }
            if !z.compactionSuitable(order: cc.order, highestZoneIdx: hz, extfragThreshold: knobs.extfragThreshold) { return .skipped }
        }
        let sync = cc.mode == .async ? 0 : 1
        let start = z.compactStart, end = z.compactEnd
        if cc.direct && z.compactionRestarting(order: cc.order) { z.resetIsolationSuitable() }
        if !cc.ignoreSkipHint && cc.order != -1 {
            let m = z.compact.cachedMigrate[sync], f = z.compact.cachedFree
            if m >= start && m < end { cc.migratePFN = m }
            if f >= start && f < end { cc.freePFN = f }
        }
        var lastMigrated = -1
        var ret = CompactResult.continue
        while true {
            ret = compactFinished(cc)
            if ret != .continue { break }
            let before = cc.migratePFN
            isolateMigratepages(cc)
            if !cc.migrate.isEmpty {
                lastMigrated = max(before, start)
                if !migratePages(p, cc) {
                    ret = .complete
                    break
                }
            }
            // Moved past the order-aligned block pages were migrated from: drain this CPU's
            // PCP so the freed pages can merge (lru_add_drain_cpu_zone -> drain_local_pages).
            if cc.order > 0 && lastMigrated >= 0 {
                let blockStart = cc.migratePFN & ~((1 << cc.order) - 1)
                if lastMigrated < blockStart {
                    z.drainPagesZone(cc.cpu, force: false, p)
                    lastMigrated = -1
                }
            }
        }
        releaseFreepages(p, cc)
        if cc.order != -1 || ret != .complete {
            z.compact.cachedMigrate[sync] = cc.migratePFN
            z.compact.cachedFree = cc.freePFN
        }
        if cc.daemon {
            countEvent(.compactDaemonMigrateScanned, cc.migrateScanned)
            countEvent(.compactDaemonFreeScanned, cc.freeScanned)
        } else {
            countEvent(.compactMigrateScanned, cc.migrateScanned)
            countEvent(.compactFreeScanned, cc.freeScanned)
        }
        return ret
    }

    /// __compact_finished(), Linux 6.18.
    func compactFinished(_ cc: CompactControl) -> CompactResult {
        let z = cc.zone
        if cc.freePFN <= cc.migratePFN {
            // Scanners met: restart from the zone's ends next time; the skip bits go stale.
            z.compact.cachedMigrate = [-1, -1]
            z.compact.cachedFree = -1
            if cc.direct { z.compact.blockskipFlush = true }
            return .complete
        }
        if cc.proactive {
            let score = fragmentationScoreNode(nid: z.nid)
            return score <= proactiveWmarkLow ? .success : .continue
        }
        if cc.order == -1 { return .continue }
        // Finish the pageblock under way first.
        if cc.migratePFN & (K.pageblockNrPages - 1) != 0 { return .continue }
        for o in cc.order...K.maxOrder where z.nrFree[o] > 0 {
            if !z.lists.isEmpty(Zone.freeList(o, MigrateType.movable.rawValue)) { return .success }
            if o >= K.pageblockOrder { return .success }
        }
        return .continue
    }

    /// isolate_migratepages(), Linux 6.18: the next suitable pageblock from the migrate
    /// scanner's position, isolated by isolate_migratepages_block().
    func isolateMigratepages(_ cc: CompactControl) {
        let z = cc.zone
        var low = max(cc.migratePFN, z.compactStart)
        while low < cc.freePFN {
            let blockStart = low & ~(K.pageblockNrPages - 1)
            let blockEnd = min(blockStart + K.pageblockNrPages, z.compactEnd)
            let suitable = cc.ignoreSkipHint || !z.pageblockSkip(blockStart)
            // Async compaction migrates only out of MOVABLE blocks (migrate_async_suitable).
            let asyncOK = cc.mode != .async || z.blockType(blockStart) == MigrateType.movable.rawValue
            // pageblock_skip_persistent(): a block headed by a folio of pageblock order or more
            // is no source for any compaction; it is passed over without being scanned.
            let persistent = z.pages.state(blockStart) == .allocated && z.pages.order(blockStart) >= K.pageblockOrder
            if !suitable || !asyncOK || persistent || !z.spans(blockStart) {
                low = blockEnd
                continue
            }
            cc.migratePFN = isolateMigratepagesBlock(cc, from: low, to: blockEnd)
            return
        }
        cc.migratePFN = low
    }

    /// isolate_migratepages_block(), Linux 6.18: free pages are stepped over, movable pages
    /// isolated (up to COMPACT_CLUSTER_MAX), the rest fail. Async direct compaction gives up an
    /// order-aligned block at its first failure, since that block cannot become free.
    func isolateMigratepagesBlock(_ cc: CompactControl, from low: Int, to end: Int) -> Int {
        let z = cc.zone
        let skipOnFailure = cc.direct && cc.mode == .async && cc.order > 0
        let orderPages = cc.order > 0 ? 1 << cc.order : 1
        var nextSkip = (low & ~(orderPages - 1)) + orderPages
        var i = low, scanned = 0, isolated = 0
        var brokeEarly = false
        while i < end {
            if skipOnFailure && i >= nextSkip {
                if !cc.migrate.isEmpty { brokeEarly = true; break }
                nextSkip = (i & ~(orderPages - 1)) + orderPages
            }
            scanned += 1
            let o = z.pages.order(i)
            var failed = false
            switch z.pages.state(i) {
            case .buddy:
                scanned += (1 << o) - 1
                i += 1 << o
                continue
            case .allocated:
                let skipOrder = o > 0 && (o >= K.pageblockOrder || (cc.order != -1 && o >= cc.order))
                if !skipOrder, isMovableFolio(z, i, order: o), folioIsolateLRU(cpu: cc.cpu, pfn: z.pfn(i)) {
                    cc.migrate.append(i)
                    cc.migratePages += 1 << o
                    isolated += 1 << o
                    scanned += (1 << o) - 1
                    i += 1 << o
                    if cc.migratePages >= compactClusterMax { brokeEarly = true; break }
                    continue
                }
                scanned += (1 << o) - 1
                i += 1 << o
                failed = true
            default:
                i += 1
                failed = true
            }
            if failed && skipOnFailure {
                // Put back what this order-aligned block isolated, and skip the rest of it.
                for s in cc.migrate { putbackLRU(z, cpu: cc.cpu, pfn: z.pfn(s)) }
                isolated -= cc.migratePages
                cc.migrate.removeAll(keepingCapacity: true)
                cc.migratePages = 0
                if i < nextSkip { i = nextSkip }
                nextSkip += orderPages
            }
        }
        if !brokeEarly && i >= end && isolated == 0 && !cc.ignoreSkipHint { z.setPageblockSkip(low, true) }
        cc.migrateScanned += scanned
        countEvent(.compactIsolated, max(0, isolated))
        z.trace.work(.pageScanned, scanned)
        return min(i, end)
    }

    /// migrate_pages() with compaction_alloc(): each isolated block is copied into a free block
    /// of its order from the free scanner, its owner follows it, and the old block is freed
    /// through the ordinary free path (to this CPU's PCP). Returns false when the free scanner
    /// ran dry (the scanners met).
    func migratePages<P: AllocatorPolicy>(_ p: P, _ cc: CompactControl) -> Bool {
        let z = cc.zone
        defer { cc.migrate.removeAll(keepingCapacity: true); cc.migratePages = 0 }
        for (k, src) in cc.migrate.enumerated() {
            let o = z.pages.order(src)
            guard let dst = compactionAlloc(p, cc, order: o) else {
                countEvent(.pgmigrateFail, 1 << o)
                for s in cc.migrate[k...] { putbackLRU(z, cpu: cc.cpu, pfn: z.pfn(s)) }
                return false
            }
            migrateFolio(p, z, cpu: cc.cpu, from: src, to: dst, order: o)
            countEvent(.pgmigrateSuccess, 1 << o)
        }
        return true
    }

    /// Whether the allocated folio at `i` may be isolated: on an LRU, and a page cache folio
    /// (its file's slots move with it), a folio a workload's HeldBlocks holds unpinned (its slot
    /// moves with it) or one an owner can follow (the `mover`). Anything else is pinned.
    func isMovableFolio(_ z: Zone, _ i: Int, order: Int) -> Bool {
        let pfn = z.pfn(i)
        guard isLRUFolio(pfn: pfn) else { return false }
        if lru.owner[pfn] != 0 { return true }
        return mover?.isMovable(PageRef(zone: z.id, index: i), order: order) == true
    }

    /// migrate_folio() for an isolated LRU folio (mm/migrate.c, Linux 6.18): the new folio
    /// takes the old one's kind, flags and place in its file or with its owner and goes back
    /// on the LRU; the old one is freed through the ordinary free path, with nothing left to
    /// account (its counters moved with the folio).
    func migrateFolio<P: AllocatorPolicy>(_ p: P, _ z: Zone, cpu: Int, from src: Int, to dst: Int, order o: Int) {
        let a = z.pfn(src), b = z.pfn(dst)
        if lru.owner[a] & HeldStore.tag != 0 { resolveHeldOwners() }
        z.pages.set(dst, .allocated, order: o)
        z.pages.setKind(dst, z.pages.kind(src))
        allocatedPages += 1 << o
        lru.flags[b] = lru.flags[a]
        lru.owner[b] = lru.owner[a]
        lru.offset[b] = lru.offset[a]
        if isAreaAnon(a) {
            anonMoved(from: a, to: b)
        } else if isPageCacheFolio(pfn: a) {
            let f = pageCache.files[Int(lru.owner[a]) - 1], start = Int(lru.offset[a])
            for off in start..<min(f.pages, start + (1 << o)) where f.slots[off] == UInt32(a + 1) { f.slots[off] = UInt32(b + 1) }
        } else if lru.owner[a] != 0 {
            heldFolioMoved(pfn: a, to: PageRef(zone: z.id, index: dst))
        } else {
            mover?.moved(from: PageRef(zone: z.id, index: src), to: PageRef(zone: z.id, index: dst), order: o)
        }
        putbackLRU(z, cpu: cpu, pfn: b)
        lru.flags[a] = 0
        lru.owner[a] = 0
        z.pages.setKind(src, AllocKind.kernel.rawValue)
        z.trace.work(.pageMigrated, 1 << o)
        try? freePages(p, cpu: cpu, PageRef(zone: z.id, index: src), order: o, pcpLockHeld: false)
    }

    /// compaction_alloc(), Linux 6.18: the smallest isolated free block that fits, split down;
    /// when none is left, the free scanner runs once more.
    func compactionAlloc<P: AllocatorPolicy>(_ p: P, _ cc: CompactControl, order: Int) -> Int? {
        if cc.targetsFromBuddy {
            guard let i = cc.zone.rmqueueBuddy(cc.cpu, order: order, mt: MigrateType.movable.rawValue, flags: .wmarkMin, p) else { return nil }
            countEvent(VMEvent(rawValue: VMEvent.pgallocDMA.rawValue + cc.zone.type.rawValue)!, 1 << order)
            return i
        }
        var scanned = false
        while true {
            if let k = (order...K.maxOrder).first(where: { !cc.freepages[$0].isEmpty }) {
                let i = cc.freepages[k].removeLast()
                var o = k
                while o > order {
                    o -= 1
                    cc.freepages[o].append(i + (1 << o))
                }
                cc.nrFreepages -= 1 << order
                return i
            }
            if scanned { return nil }
            isolateFreepages(p, cc)
            scanned = true
        }
    }

    /// isolate_freepages(), Linux 6.18: from the free scanner's position down, pageblock by
    /// pageblock, through MOVABLE blocks not marked skip, until there are as many free pages as
    /// pages waiting to migrate or the scanners meet.
    func isolateFreepages<P: AllocatorPolicy>(_ p: P, _ cc: CompactControl) {
        let z = cc.zone
        let low = (cc.migratePFN & ~(K.pageblockNrPages - 1)) + K.pageblockNrPages
        var blockStart = cc.freePFN & ~(K.pageblockNrPages - 1)
        while blockStart >= low {
            let blockEnd = min(blockStart + K.pageblockNrPages, z.compactEnd)
            if z.spans(blockStart) && (cc.ignoreSkipHint || !z.pageblockSkip(blockStart)) && suitableMigrationTarget(cc, blockStart) {
                let got = isolateFreepagesBlock(p, cc, from: max(blockStart, z.compactStart), to: blockEnd)
                if got == 0 && !cc.ignoreSkipHint { z.setPageblockSkip(blockStart, true) }
                if cc.nrFreepages >= cc.migratePages {
                    cc.freePFN = blockStart
                    return
                }
            }
            blockStart -= K.pageblockNrPages
        }
        cc.freePFN = low - K.pageblockNrPages
    }

    /// suitable_migration_target(), Linux 6.18: not a free block already big enough, and a
    /// MOVABLE pageblock.
    func suitableMigrationTarget(_ cc: CompactControl, _ b: Int) -> Bool {
        let z = cc.zone
        if z.pages.state(b) == .buddy && z.pages.order(b) >= (cc.order > 0 ? cc.order : K.pageblockOrder) { return false }
        return z.blockType(b) == MigrateType.movable.rawValue
    }

    /// isolate_freepages_block() with __isolate_free_page(), Linux 6.18: every free block taken
    /// off its list while the zone stays above min + its size. Returns pages isolated. A block in
    /// use or on a PCP is stepped over whole, as the kernel steps over a compound page (its
    /// tails are never free); its pages count as scanned up to the range's end, the count a
    /// page-by-page scan gives (the kernel counts a compound page whole, even past the end).
    func isolateFreepagesBlock<P: AllocatorPolicy>(_ p: P, _ cc: CompactControl, from start: Int, to end: Int) -> Int {
        let z = cc.zone
        var i = start, scanned = 0, isolated = 0
        z.lockZone()
        while i < end {
            scanned += 1
            let state = z.pages.state(i)
            guard state == .buddy else {
                let n = state == .allocated || state == .pcp ? min(1 << z.pages.order(i), end - i) : 1
                scanned += n - 1
                i += n
                continue
            }
            let o = z.pages.order(i)
            let mark = z.watermark[0] + (1 << o)
            guard z.zoneWatermarkOK(order: 0, mark: mark, highestZoneIdx: 0, flags: [], free: z.pageState(.nrFreePages)) else { break }
            let mt = z.blockType(i)
            z.delFromFreeList(i, order: o, mt: mt, cpu: cc.cpu, p)
            z.accountFreepages(-(1 << o), mt: mt, cpu: cc.cpu)
            z.pages.set(i, .allocated, order: o)
            z.pages.setKind(i, AllocKind.kernel.rawValue)
            cc.freepages[o].append(i)
            cc.nrFreepages += 1 << o
            isolated += 1 << o
            scanned += (1 << o) - 1
            i += 1 << o
            if cc.nrFreepages >= cc.migratePages { break }
        }
        z.unlockZone()
        cc.freeScanned += scanned
        countEvent(.compactIsolated, isolated)
        z.trace.work(.pageScanned, scanned)
        return isolated
    }

    /// release_free_list(): free pages the migration did not use go back to the buddy.
    func releaseFreepages<P: AllocatorPolicy>(_ p: P, _ cc: CompactControl) {
        for o in 0...K.maxOrder {
            for i in cc.freepages[o] { cc.zone.freeOneUnderLock(cc.cpu, i, order: o, p) }
            cc.freepages[o].removeAll()
        }
        cc.nrFreepages = 0
    }
}
