/// What one alloc_contig_range() attempt found.
public struct ContigResult: Sendable, Equatable {
    public var success: Bool
    /// Pages in the range still held after migration: pinned folios and folios nobody can
    /// follow fail the attempt.
    public var pagesInUse: Int
    /// Free pages of the range still on some PCP after the drain: the isolation cannot see them.
    public var pagesStrandedOnPCP: Int
    /// Pageblocks that held unmovable pages, so isolation itself failed.
    public var unmovableBlocks: Int
}

/// Totals over every alloc_contig_range() attempt.
public struct ContigStats: Sendable, Equatable, Codable {
    public var attempts = 0, successes = 0, pagesInUse = 0, pagesStrandedOnPCP = 0, unmovableBlocks = 0
    enum CodingKeys: String, CodingKey {
        case attempts, successes, pagesInUse = "pages_in_use", pagesStrandedOnPCP = "pages_stranded_on_pcp"
        case unmovableBlocks = "unmovable_blocks"
    }
}

extension Machine {
    /// alloc_contig_range() (6.18, simplified): isolate the pageblocks of [start, start + 2^order)
    /// in zone `zone` (start_isolate_page_range: refuses blocks with unmovable pages, moves the
    /// free pages to MIGRATE_ISOLATE), deal with the range's pages on PCPs as `contig_pcp`
    /// says (6.18: drain_all_pages() for the zone), migrate the movable folios out, then take
    /// the range if every page of it is free in the buddy; undo the isolation otherwise. On
    /// success the range is returned as allocated blocks of at most MAX_PAGE_ORDER (free them
    /// with freePages), tagged `kind`.
    public func allocContigRange(cpu: Int, zone id: Int, startPFN: Int, order: Int, kind: AllocKind) -> (ContigResult, [PageRef]) {
        policy.type.allocContigRange(self, cpu: cpu, zone: id, startPFN: startPFN, order: order, kind: kind)
    }

    func allocContigRange<P: AllocatorPolicy>(_ policy: P, cpu: Int, zone id: Int, startPFN: Int, order: Int, kind: AllocKind) -> (ContigResult, [PageRef]) {
        let z = zones[id]
        let start = z.index(startPFN), n = 1 << order
        var result = ContigResult(success: false, pagesInUse: 0, pagesStrandedOnPCP: 0, unmovableBlocks: 0)
        guard start >= 0, start + n <= z.pages.count, start & (max(n, K.pageblockNrPages) - 1) == 0,
              z.spans(start), z.spans(start + n - 1) else { return (result, []) }
        let blocks = stride(from: start, to: start + n, by: K.pageblockNrPages)
        // Isolation: every block must be free of unmovable pages (has_unmovable_pages).
        for b in blocks where z.blockHasUnmovable(b) { result.unmovableBlocks += 1 }
        if result.unmovableBlocks > 0 { return (result, []) }
        let mode = pcpBuddyOptions.contigPCP
        // zone_pcp_disable(): __drain_all_pages(zone, force_all_cpus) before isolation. The
        // window in which PCPs stay disabled has no other CPU running in this model.
        if mode == .pcpDisable { for c in 0..<nrCPUs { z.drainPagesZone(c, force: true, policy) } }
        z.lockZone()
        for b in blocks { z.setIsolate(b, true, cpu: cpu, policy) }
        z.unlockZone()
        if mode == .takeFromPCP {
            takeRangeOffPCPs(policy, z, cpu: cpu, start: start, end: start + n)
        } else {
            drainAllPages(policy, cpu: cpu, zone: z)
        }
        migrateRangeOut(policy, z, cpu: cpu, start: start, end: start + n)
        // test_pages_isolated(): every page free in the buddy.
        var p = start
        while p < start + n {
            switch z.pages.state(p) {
            case .buddy: p += 1 << z.pages.order(p)
            case .pcp:
                result.pagesStrandedOnPCP += 1 << z.pages.order(p)
                p += 1 << z.pages.order(p)
            case .allocated:
                result.pagesInUse += 1 << z.pages.order(p)
                p += 1 << z.pages.order(p)
            case .tail, .reserved:
                result.pagesInUse += 1
                p += 1
            }
        }
        var taken: [PageRef] = []
        z.lockZone()
        if result.pagesInUse == 0 && result.pagesStrandedOnPCP == 0 {
            result.success = true
            taken = z.takeIsolatedRange(start, order: order, kind: kind, cpu: cpu, policy).map { PageRef(zone: id, index: $0) }
            allocatedPages += n
        }
        for b in blocks { z.setIsolate(b, false, cpu: cpu, policy) }
        z.unlockZone()
        return (result, taken)
    }
}

extension Machine {
    /// __alloc_contig_migrate_range(), Linux 6.18: every movable LRU folio of the isolated range,
    /// large ones included, migrates to a block the buddy allocator hands out in the same zone
    /// (never from the isolated blocks), and the old frames go straight to the isolated free lists.
    /// Folios nobody can follow stay and fail the range.
    func migrateRangeOut<P: AllocatorPolicy>(_ p: P, _ z: Zone, cpu: Int, start: Int, end: Int) {
        let cc = compactControl(z, cpu: cpu, order: -1, mode: .sync, direct: false, ignoreSkipHint: true)
        cc.targetsFromBuddy = true
        var i = start, moved = false
        while i < end {
            let o = z.pages.order(i)
            guard z.pages.state(i) == .allocated else { i += z.pages.state(i) == .buddy || z.pages.state(i) == .pcp ? 1 << o : 1; continue }
            // cc->alloc_contig skips compaction's order check: large folios (THP, order-9
            // readahead) migrate too, to a block of their order from the buddy.
            if o <= K.pageblockOrder, isMovableFolio(z, i, order: o), folioIsolateLRU(cpu: cpu, pfn: z.pfn(i)) {
                cc.migrate.append(i)
                cc.migratePages += 1 << o
                countEvent(.compactIsolated, 1 << o)
            }
            i += 1 << o
            if cc.migratePages >= compactClusterMax {
                moved = true
                if !migratePages(p, cc) { break }
            }
        }
        if !cc.migrate.isEmpty {
            moved = true
            _ = migratePages(p, cc)
        }
        if moved { z.drainPagesZone(cpu, force: false, p) }
    }
}

extension Machine {
    /// contig_pcp=take-from-pcp: isolation that knows which PCP holds each free page of the
    /// range (the zone tracking the PCP free lists, as Zi Yan proposed) takes those pages off
    /// their PCPs under each one's pcp->lock and frees them into the isolated blocks. No
    /// other PCP page moves.
    func takeRangeOffPCPs<P: AllocatorPolicy>(_ p: P, _ z: Zone, cpu: Int, start: Int, end: Int) {
        var i = start
        while i < end {
            let s = z.pages.state(i), o = z.pages.order(i)
            guard s == .pcp else { i += s == .tail || s == .reserved ? 1 : 1 << o; continue }
            let owner = z.pages.cpuOf(i)
            z.lockPCP(owner)
            p.takeOffPCP(z, cpu: owner, i, order: o)
            z.addPCPCount(owner, -(1 << o))
            z.unlockPCP(owner)
            z.lockZone()
            z.toZone(cpu, i, order: o, p)
            z.unlockZone()
            i += 1 << o
        }
    }
}

extension Zone {
    /// has_unmovable_pages(): an allocated non-LRU page (slab, page tables, kernel memory).
    func blockHasUnmovable(_ start: Int) -> Bool {
        var p = start
        while p < start + K.pageblockNrPages {
            let s = pages.state(p)
            if s == .allocated && AllocKind(rawValue: pages.kind(p))?.isLRU != true { return true }
            if s == .reserved { return true }
            p += (s == .tail || s == .reserved) ? 1 : 1 << pages.order(p)
        }
        return false
    }

    /// set_migratetype_isolate() / unset_migratetype_isolate(): flip the block's isolate bit and
    /// move its free pages between its type's lists and MIGRATE_ISOLATE's.
    func setIsolate<P: AllocatorPolicy>(_ start: Int, _ on: Bool, cpu: Int, _ policy: P) {
        let b = start >> K.pageblockOrder
        guard pageblocks[b].isolated != on else { return }
        let mt = Int(pageblocks[b].migratetype)
        let from = on ? mt : MigrateType.isolate.rawValue, to = on ? MigrateType.isolate.rawValue : mt
        var p = start
        while p < start + K.pageblockNrPages {
            let s = pages.state(p)
            if s == .buddy {
                let o = pages.order(p)
                if o <= K.pageblockOrder {
                    moveToFreeList(p, order: o, from: from, to: to, cpu: cpu, policy)
                } else {
                    // A free block larger than a pageblock is split into pageblocks first, each
                    // keeping its own block's type (split_large_buddy).
                    delFromFreeList(p, order: o, mt: from, cpu: cpu, policy)
                    accountFreepages(-(1 << o), mt: from, cpu: cpu)
                    for q in stride(from: p, to: p + (1 << o), by: K.pageblockNrPages) {
                        let qmt = q == start ? to : blockType(q)
                        addToFreeList(q, order: K.pageblockOrder, mt: qmt, toTail: true, cpu: cpu, policy)
                        accountFreepages(K.pageblockNrPages, mt: qmt, cpu: cpu)
                    }
                }
                p += 1 << o
            } else {
                p += (s == .tail || s == .reserved) ? 1 : 1 << pages.order(p)
            }
        }
        pageblocks[b].isolated = on
    }

    /// Takes every free block of an isolated range off the ISOLATE lists and hands the range
    /// out as allocated blocks of at most MAX_PAGE_ORDER.
    func takeIsolatedRange<P: AllocatorPolicy>(_ start: Int, order: Int, kind: AllocKind, cpu: Int, _ policy: P) -> [Int] {
        var p = start
        while p < start + (1 << order) {
            let o = pages.order(p)
            delFromFreeList(p, order: o, mt: MigrateType.isolate.rawValue, cpu: cpu, policy)
            p += 1 << o
        }
        let piece = min(order, K.maxOrder)
        return stride(from: start, to: start + (1 << order), by: 1 << piece).map { i in
            pages.set(i, .allocated, order: piece)
            pages.setKind(i, kind.rawValue)
            return i
        }
    }
}
