/// Starting a machine in the state a real one was in, from its /proc files.
extension Machine {
    /// Rebuilds a zone's free lists from a /proc/pagetypeinfo: `blocks[mt]` pageblocks of each
    /// type (assigned in pfn order: unmovable, reclaimable, then movable, as early kernel
    /// allocations leave them), and `free[mt][order]` free blocks on each list. Everything
    /// else that is not already on a PCP is in use (by callers the import cannot see).
    /// Free blocks are placed so that no two are buddies, so the counts stay as given. Where
    /// that leaves no room (a zone that was wholly free, whose fragments came from reserved
    /// pages the import cannot place), the blocks that did not fit are returned, as
    /// (type, order, missing) — the caller reports them.
    @discardableResult
    public func shapeFreeArea(nid: Int, zone type: ZoneType, free: [[Int]], blocks: [Int]) -> [(mt: Int, order: Int, missing: Int)] {
        shapeFreeArea(driver, nid: nid, zone: type, free: free, blocks: blocks)
    }

    private func shapeFreeArea<P: AllocatorPolicy>(_ p: P, nid: Int, zone type: ZoneType, free: [[Int]], blocks: [Int]) -> [(mt: Int, order: Int, missing: Int)] {
        var missing: [(mt: Int, order: Int, missing: Int)] = []
        let z = zone(nid: nid, type: type)
        guard z.isPopulated else { return missing }
        // Everything free goes into use, as order-0 pages of unknown owners.
        for o in 0...K.maxOrder {
            for mt in 0..<MigrateType.count {
                while !z.lists.isEmpty(Zone.freeList(o, mt)) {
                    let i = Int(z.lists.head[Zone.freeList(o, mt)])
                    z.delFromFreeList(i, order: o, mt: mt, cpu: nil, p)
                    z.accountFreepages(-(1 << o), mt: mt, cpu: nil)
                    markImportedInUse(z, i, order: o)
                }
            }
        }
        // Block types in pfn order, over the managed range first (free memory can only be
        // there), then over the reserved pages.
        let order = [MigrateType.unmovable.rawValue, MigrateType.reclaimable.rawValue, MigrateType.highAtomic.rawValue]
        var want = order.map { blocks.indices.contains($0) ? blocks[$0] : 0 }
        var typed: [[Int]] = Array(repeating: [], count: MigrateType.count)
        var seen = Set<Int>()
        for range in z.onlineRanges.reversed() {
            for b in (z.index(range.lowerBound) >> K.pageblockOrder)...(z.index(range.upperBound - 1) >> K.pageblockOrder) where !seen.contains(b) {
                seen.insert(b)
                var mt = MigrateType.movable.rawValue
                if let k = want.firstIndex(where: { $0 > 0 }) { mt = order[k]; want[k] -= 1 }
                z.pageblocks[b].migratetype = UInt8(mt)
                typed[mt].append(b)
            }
        }
        // Place the free blocks, largest first, never next to a free buddy.
        var wholeFree = Set<Int>(), freeAt9 = Set<Int>()
        for mt in 0..<min(free.count, MigrateType.pcpTypes + 1) {

            for o in stride(from: K.maxOrder, through: 0, by: -1) where o < free[mt].count {
                var need = free[mt][o]
                if o >= K.pageblockOrder {
                    let span = 1 << (o - K.pageblockOrder)
                    // Whole blocks, aligned; below MAX_PAGE_ORDER never next to a whole free buddy,
                    // so no two merge.
                    var k = 0
                    while need > 0 && k < typed[mt].count {
                        let b = typed[mt][k]
                        k += 1
                        guard b % span == 0, o == K.maxOrder || !freeAt9.contains(b ^ span),
                              (b..<(b + span)).allSatisfy({ z.pageblocks.indices.contains($0) && Int(z.pageblocks[$0].migratetype) == mt && !wholeFree.contains($0) && blockInUse(z, $0) }),
                              placeFree(z, b << K.pageblockOrder, order: o, mt: mt, p) else { continue }
                        for x in b..<(b + span) { wholeFree.insert(x) }
                        if o == K.pageblockOrder { freeAt9.insert(b) }
                        need -= 1
                    }
                } else {
                    // Inside blocks: any aligned run still in use whose same-order buddy is not
                    // a free block, largest first, so blocks pack as tightly as the kernel's.
                    let size = 1 << o
                    for b in typed[mt] where need > 0 && !wholeFree.contains(b) {
                        var off = 0
                        while need > 0 && off < K.pageblockNrPages {
                            let i = (b << K.pageblockOrder) + off
                            if !z.isFreeBuddy(i ^ size, order: o) && placeFree(z, i, order: o, mt: mt, p) { need -= 1 }
                            off += size
                        }
                    }
                }
                if need > 0 { missing.append((mt, o, need)) }
            }
        }
        z.nrReservedHighatomic = (blocks.indices.contains(MigrateType.highAtomic.rawValue) ? blocks[MigrateType.highAtomic.rawValue] : 0)
            * K.pageblockNrPages
        z.vmStat.fold(cpu: 0)
        return missing
    }

    /// Places the free blocks `shapeFreeArea` could not, each against reserved pages: a real
    /// zone's reserved pages (memblock reservations) sit among its managed ones and keep
    /// free fragments from merging, where the import puts them all before the managed range.
    /// A block goes on an aligned run of the online reserved pages whose buddy is reserved
    /// too, in a pageblock of its type, and as many imported in-use pages become reserved in
    /// its place, so `managed` and the free counts stay as the capture showed them. Returns
    /// what it placed, as (type, order, placed).
    @discardableResult
    public func placeBesideReserved(nid: Int, zone type: ZoneType, _ missing: [(mt: Int, order: Int, missing: Int)]) -> [(mt: Int, order: Int, placed: Int)] {
        placeBesideReserved(driver, nid: nid, zone: type, missing)
    }

    private func placeBesideReserved<P: AllocatorPolicy>(_ p: P, nid: Int, zone type: ZoneType, _ missing: [(mt: Int, order: Int, missing: Int)]) -> [(mt: Int, order: Int, placed: Int)] {
        let z = zone(nid: nid, type: type)
        guard z.isPopulated, let reserved = z.onlineRanges.first, z.onlineRanges.count == 2 else { return [] }
        var out: [(mt: Int, order: Int, placed: Int)] = []
        var inUse = (z.index(z.geometry.endPFN - z.geometry.managed)..<z.index(z.geometry.endPFN)).makeIterator()
        for m in missing {
            let n = 1 << m.order
            var placed = 0
            var i = (z.index(reserved.lowerBound) + n - 1) & ~(n - 1)
            while placed < m.missing && i + n <= z.index(reserved.upperBound) {
                defer { i += n }
                let buddy = i ^ n
                guard buddy >= 0, buddy + n <= z.pages.count, z.blockType(i) == m.mt,
                      (i..<(i + n)).allSatisfy({ z.pages.state($0) == .reserved }),
                      (buddy..<(buddy + n)).allSatisfy({ z.pages.state($0) == .reserved }) else { continue }
                // As many imported in-use pages (order 0, unseen owners) become reserved.
                var taken: [Int] = []
                while taken.count < n, let j = inUse.next() {
                    if z.pages.isHead(j, .allocated, order: 0) && z.pages.kind(j) == AllocKind.kernel.rawValue { taken.append(j) }
                }
                guard taken.count == n else { break }
                for j in taken { z.pages.setReserved(j..<(j + 1)) }
                // placeFree frees in-use pages: the run passes through use, so only the taken
                // pages leave the allocated count.
                for q in i..<(i + n) { z.pages.set(q, .allocated, order: 0) }
                _ = placeFree(z, i, order: m.order, mt: m.mt, p)
                placed += 1
            }
            if placed > 0 { out.append((m.mt, m.order, placed)) }
        }
        z.vmStat.fold(cpu: 0)
        return out
    }

    /// Puts a free block's pages in use as order-0 pages of unseen owners.
    func markImportedInUse(_ z: Zone, _ i: Int, order o: Int) {
        for p in i..<(i + (1 << o)) {
            z.pages.set(p, .allocated, order: 0)
            z.pages.setKind(p, AllocKind.kernel.rawValue)
        }
        allocatedPages += 1 << o
    }

    /// The imported in-use pages of a zone, for a replay (built once, on first use).
    func importedPool(_ z: Zone) -> [Int] {
        (0..<z.pages.count).filter { z.pages.isHead($0, .allocated, order: 0) && z.pages.kind($0) == AllocKind.kernel.rawValue }
    }

    /// Every page of pageblock `b` is in use (nothing of it was placed free yet).
    private func blockInUse(_ z: Zone, _ b: Int) -> Bool {
        let start = b << K.pageblockOrder
        return (start..<(start + K.pageblockNrPages)).allSatisfy { z.pages.isHead($0, .allocated, order: 0) }
    }

    /// Frees [i, i + 2^order) onto `mt`'s list without merging, if all of it is in use.
    private func placeFree<P: AllocatorPolicy>(_ z: Zone, _ i: Int, order o: Int, mt: Int, _ p: P) -> Bool {
        guard i + (1 << o) <= z.pages.count else { return false }
        for p in i..<(i + (1 << o)) where !z.pages.isHead(p, .allocated, order: 0) { return false }
        for p in i..<(i + (1 << o)) { z.pages.setTail(p) }
        z.addToFreeList(i, order: o, mt: mt, toTail: true, cpu: nil, p)
        z.accountFreepages(1 << o, mt: mt, cpu: nil)
        allocatedPages -= 1 << o
        return true
    }
}
