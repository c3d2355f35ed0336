/// What a restored state must satisfy before anything reads it: every page's state, order and
/// kind in range, every link and list head inside its store, every list finite, every per-node
/// array of its node count. A file with a valid checksum but other contents (written by hand,
/// or by another build at the same format version) is refused here instead of crashing the
/// first walk; the invariant checker then checks the meaning.
extension Machine {
    /// `r` names a page of this machine: a restored reference is checked with this before use.
    func hasPage(_ r: PageRef) -> Bool {
        Int(r.zone) < zones.count && Int(r.index) < zones[Int(r.zone)].pages.count
    }

    func validateRestored() throws(CheckpointError) {
        for z in zones where z.isPopulated { try z.validateRestored(cpus: nrCPUs) }
        try lru.validateRestored(self)
        for (what, a) in [("kcompactd orders", kcompactdOrder), ("kcompactd zones", kcompactdHighestZone), ("proactive deferrals", proactiveDefer)]
            where a.count != nrNodes {
            throw CheckpointError("\(a.count) \(what) for \(nrNodes) node(s)")
        }
        guard kcompactdHighestZone.allSatisfy({ (-1..<K.nrZoneTypes).contains($0) }), kcompactdOrder.allSatisfy({ (-1...K.maxOrder).contains($0) }) else {
            throw CheckpointError("kcompactd's order or zone is out of range")
        }
        for k in kswapd where !(0...K.maxOrder).contains(k.order) || !(-1..<K.nrZoneTypes).contains(k.highestZoneIdx)
            || !(0..<K.nrZoneTypes).contains(k.lastHighestZoneIdx) || !(0...K.maxOrder).contains(k.allocOrder) || !(0...K.maxOrder).contains(k.reclaimOrder) {
            throw CheckpointError("kswapd's order or zone is out of range")
        }
        guard knobs.lowmemReserveRatio.count == K.nrZoneTypes, psiMemory.stallSum.count == 2, psiMemory.avgTotal.count == 2,
              psiMemory.avg.count == 2, psiMemory.avg.allSatisfy({ $0.count == 3 }), psiMemory.cpus == nrCPUs else {
            throw CheckpointError("a knob's or PSI's table has the wrong size")
        }
        if let problem = knobs.problem() { throw CheckpointError(problem) }
        guard importedInUse.isEmpty || importedInUse.count == zones.count else { throw CheckpointError("imported pages for \(importedInUse.count) zones") }
        for (id, pages) in importedInUse.enumerated() where pages.contains(where: { $0 < 0 || $0 >= zones[id].pages.count }) {
            throw CheckpointError("an imported page lies outside zone \(id)")
        }
        // The machine's held stores are read before `checkRefs` has a machine to check with.
        for s in heldStores {
            for k in 0..<s.count where !hasPage(s[k].ref) { throw CheckpointError("a held block (zone \(s[k].zone), page \(s[k].index)) lies outside the machine") }
        }
        for f in pageCache.files {
            for o in 0..<f.pages where Int(f.slots[o]) > lru.links.count { throw CheckpointError("a cached page lies outside memory") }
        }
        for z in zones where z.compact.cachedMigrate.count != 2 { throw CheckpointError("zone \(z.id)'s compaction cache has the wrong size") }
        // calculate_totalreserve_pages() adds at most each zone's managed pages.
        let managed = zones.reduce(0) { $0 + $1.managed }
        guard (0...managed).contains(totalreservePages) else {
            throw CheckpointError("totalreserve_pages is \(totalreservePages), outside 0...\(managed)")
        }
        guard nodeStats.deltasWithin(K.maxStatThreshold), zones.allSatisfy({ $0.vmStat.deltasWithin(K.maxStatThreshold) }) else {
            throw CheckpointError("a per-CPU vmstat delta is beyond the largest stat threshold (\(K.maxStatThreshold))")
        }
    }
}

extension Zone {
    func validateRestored(cpus: Int) throws(CheckpointError) {
        let n = pages.count
        for i in 0..<n {
            let info = pages.info(i), s = (info >> 4) & 7, o = Int(info & 0xF)
            guard s <= PageStore.State.reserved.rawValue, o <= K.maxOrder else { throw CheckpointError("zone \(id) page \(i) has state \(s) order \(o)") }
            if s == PageStore.State.allocated.rawValue, pages.kind(i) >= AllocKind.count { throw CheckpointError("zone \(id) page \(i) has kind \(pages.kind(i))") }
            if s == PageStore.State.pcp.rawValue, pages.kind(i) >= MigrateType.count || pages.cpuOf(i) >= cpus {
                throw CheckpointError("zone \(id) page \(i) is on the PCP of CPU \(pages.cpuOf(i))")
            }
            for link in [pages.nextOf(i), pages.prevOf(i)] where link != PageStore.none && Int(link) >= n {
                throw CheckpointError("zone \(id) page \(i) links outside the zone")
            }
        }
        try lists.validate(pages: n, "zone \(id)")
        for l in lists.head.indices {
            var e = lists.head[l], steps = 0
            while e != PageStore.none {
                steps += 1
                guard steps <= n else { throw CheckpointError("zone \(id): list \(l) does not end") }
                e = pages.nextOf(Int(e))
            }
        }
        for b in pageblocks.indices where Int(pageblocks[b].migratetype) >= MigrateType.count || !(-1..<Int32(cpus)).contains(pageblocks[b].owner) {
            throw CheckpointError("zone \(id) pageblock \(b) has type \(pageblocks[b].migratetype) owner \(pageblocks[b].owner)")
        }
        try validateScalars(cpus: cpus)
    }

    /// The figures the allocator adds and compares on every operation (watermarks, boost,
    /// reserves, PCP high and batch) within what the kernel's formulas can give: a restored
    /// value past them is damage, and would overflow the first sum that meets it.
    private func validateScalars(cpus: Int) throws(CheckpointError) {
        // Far above any formula's result (min_free_kbytes at INT_MAX kB is 2^29 pages), far
        // below what adding a few such figures could overflow.
        let bound = 0...(1 << 40)
        let marks = (0..<watermark.count).map { watermark[$0] } + (0..<lowmemReserve.count).map { lowmemReserve[$0] }
        // The boost's cap is the high mark times watermark_boost_factor (up to INT_MAX) / 10000;
        // reserve_highatomic_pageblock() stops a pageblock past 1% of the zone.
        guard marks.allSatisfy(bound.contains), (0...(1 << 50)).contains(watermarkBoost), bound.contains(boostFactor),
              (0...(managed + (2 << K.pageblockOrder))).contains(nrReservedHighatomic), (0...K.maxStatThreshold).contains(statThreshold),
              [pagesetHighMin, pagesetHighMax, pagesetBatch].allSatisfy(bound.contains) else {
            throw CheckpointError("zone \(id)'s watermarks, reserves or stat threshold are out of range")
        }
        for c in 0..<cpus {
            let p = pcp[c]
            guard [p.count, p.high, p.highMin, p.highMax, p.batch, p.freeCount].allSatisfy(bound.contains),
                  (0...K.pcpBatchScaleMax).contains(p.allocFactor), (0...3).contains(p.expire) else {
                throw CheckpointError("zone \(id)'s PCP of CPU \(c) has figures out of range")
            }
        }
    }
}

extension ListSet {
    /// Heads and tails inside the store, and every list ends within as many steps as it has
    /// pages (a cycle would loop forever).
    func validate(pages n: Int, _ what: String) throws(CheckpointError) {
        for l in head.indices {
            for e in [head[l], tail[l]] where e != PageStore.none && Int(e) >= n {
                throw CheckpointError("\(what): list \(l) starts or ends outside it")
            }
            guard length[l] >= 0, length[l] <= n else { throw CheckpointError("\(what): list \(l) has length \(length[l])") }
        }
    }
}

extension LRUStore {
    func validateRestored(_ m: Machine) throws(CheckpointError) {
        let n = links.count
        for pfn in 0..<n {
            for link in [next[pfn], prev[pfn]] where link != LRUStore.none && Int(link) >= n { throw CheckpointError("LRU page \(pfn) links outside memory") }
        }
        for l in head.indices {
            var e = head[l], steps = 0
            while e != LRUStore.none {
                let pfn = Int(e)
                guard pfn < n, m.populatedZoneList.contains(where: { pfn >= $0.geometry.startPFN && pfn < $0.geometry.endPFN }) else {
                    throw CheckpointError("LRU list \(l) holds pfn \(pfn), in no zone")
                }
                steps += 1
                guard steps <= n else { throw CheckpointError("LRU list \(l) does not end") }
                e = next[pfn]
            }
            guard tail[l] == LRUStore.none || Int(tail[l]) < n else { throw CheckpointError("LRU list \(l) ends outside memory") }
        }
    }
}
