/// The high-order atomic reserve (mm/page_alloc.c, 6.18).
extension Zone {
    /// reserve_highatomic_pageblock(): after a high-order atomic success, set the block aside
    /// as HIGHATOMIC, up to about 1% of the zone.
    func reserveHighatomicPageblock<P: AllocatorPolicy>(_ i: Int, order: Int, _ p: P) {
        if managed / 100 < K.pageblockNrPages { return }
        let maxManaged = (managed / 100 + K.pageblockNrPages - 1) & ~(K.pageblockNrPages - 1)
        if nrReservedHighatomic >= maxManaged { return }
        lockZone()
        defer { unlockZone() }
        let mt = blockType(i)
        guard mt < MigrateType.pcpTypes else { return }
        // Owning policies: a block a PCP owns is not turned into a reserve under it.
        if pageblocks[i >> K.pageblockOrder].owner >= 0 { return }
        if order < K.pageblockOrder {
            guard let _ = prepMoveFreepagesBlock(i) else { return }
            moveFreepagesBlock(i, from: mt, to: MigrateType.highAtomic.rawValue, cpu: nil, p)
            setBlockType(i, MigrateType.highAtomic.rawValue)
            nrReservedHighatomic += K.pageblockNrPages
        } else {
            for blk in stride(from: i, to: i + (1 << order), by: K.pageblockNrPages) {
                setBlockType(blk, MigrateType.highAtomic.rawValue)
            }
            nrReservedHighatomic += 1 << order
        }
    }

    /// One zone's part of unreserve_highatomic_pageblock(): give the first HIGHATOMIC block with
    /// a free page back to `mt`, keeping one block unless forced.
    func unreserveOneHighatomic<P: AllocatorPolicy>(mt: Int, force: Bool, _ p: P) -> Bool {
        if !force && nrReservedHighatomic <= K.pageblockNrPages { return false }
        if nrReservedHighatomic == 0 { return false }
        lockZone()
        defer { unlockZone() }
        let ha = MigrateType.highAtomic.rawValue
        for o in 0...K.maxOrder {
            let h = lists.head[Zone.freeList(o, ha)]
            if h == PageStore.none { continue }
            let i = Int(h)
            nrReservedHighatomic -= min(max(K.pageblockNrPages, 1 << o), nrReservedHighatomic)
            if o < K.pageblockOrder {
                moveFreepagesBlock(i, from: ha, to: mt, cpu: nil, p)
                setBlockType(i, mt)
            } else {
                moveToFreeList(i, order: o, from: ha, to: mt, cpu: nil, p)
                for blk in stride(from: i, to: i + (1 << o), by: K.pageblockNrPages) { setBlockType(blk, mt) }
            }
            return true
        }
        return false
    }
}

extension Machine {
    /// unreserve_highatomic_pageblock() over the node's zonelist.
    @discardableResult
    func unreserveHighatomicPageblock<P: AllocatorPolicy>(nid: Int, mt: Int, force: Bool, _ p: P) -> Bool {
        for id in zonelists[nid] where zones[id].unreserveOneHighatomic(mt: mt, force: force, p) { return true }
        return false
    }
}
