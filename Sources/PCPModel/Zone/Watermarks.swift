/// Watermark checks (mm/page_alloc.c, 6.18).
extension Zone {
    /// __zone_watermark_unusable_free(): pages the request may not count as free.
    @inline(__always) func watermarkUnusableFree(order: Int, flags: AllocFlags) -> Int {
        var unusable = (1 << order) - 1
        if flags.isDisjoint(with: AllocFlags.reserves) { unusable += nrFreeHighatomic }
        return unusable
    }

    /// __zone_watermark_ok().
    func zoneWatermarkOK(order: Int, mark: Int, highestZoneIdx hz: Int, flags: AllocFlags, free: Int) -> Bool {
        var min = mark
        let freePages = free - watermarkUnusableFree(order: order, flags: flags)
        if !flags.isDisjoint(with: AllocFlags.reserves) {
            if flags.contains(.minReserve) {
                min -= min / 2
                if flags.contains(.nonBlock) { min -= min / 4 }
            }
            if flags.contains(.oom) { min -= min / 2 }
        }
        if freePages <= min + lowmemReserve[hz] { return false }
        if order == 0 { return true }
        for o in order...K.maxOrder where nrFree[o] > 0 {
            for mt in 0..<MigrateType.pcpTypes where !lists.isEmpty(Zone.freeList(o, mt)) { return true }
            if !flags.isDisjoint(with: [.highAtomic, .oom]) && !lists.isEmpty(Zone.freeList(o, MigrateType.highAtomic.rawValue)) {
                return true
            }
        }
        return false
    }

    /// zone_watermark_fast(): the order-0 shortcut against the folded NR_FREE_PAGES.
    @inline(__always) func zoneWatermarkFast(order: Int, mark: Int, highestZoneIdx hz: Int, flags: AllocFlags) -> Bool {
        let free = pageState(.nrFreePages)
        if order == 0 {
            let usable = free &- min(free, watermarkUnusableFree(order: 0, flags: flags))
            if usable > mark &+ lowmemReserve[hz] { return true }
        }
        if zoneWatermarkOK(order: order, mark: mark, highestZoneIdx: hz, flags: flags, free: free) { return true }
        if order == 0 && flags.contains(.minReserve) && watermarkBoost != 0 && flags.wmarkIndex == 0 {
            return zoneWatermarkOK(order: order, mark: watermark[0], highestZoneIdx: hz, flags: flags, free: free)
        }
        return false
    }
}
