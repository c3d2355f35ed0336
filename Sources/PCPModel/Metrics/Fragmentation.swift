/// The extfrag indices of mm/vmstat.c, from free_area[].nr_free alone.
public enum Fragmentation {
    /// fill_contig_page_info(): free pages, free blocks, and blocks usable for `order`.
    static func contigInfo(_ nrFree: [Int], order: Int) -> (freePages: Int, total: Int, suitable: Int) {
        var pages = 0, total = 0, suitable = 0
        for (o, blocks) in nrFree.enumerated() {
            total += blocks
            pages += blocks << o
            if o >= order { suitable += blocks << (o - order) }
        }
        return (pages, total, suitable)
    }

    /// unusable_free_index(), in thousandths: the share of free memory too fragmented for `order`.
    public static func unusableIndex(_ nrFree: [Int], order: Int) -> Int {
        let info = contigInfo(nrFree, order: order)
        if info.freePages == 0 { return 1000 }
        return (info.freePages - (info.suitable << order)) * 1000 / info.freePages
    }

    /// __fragmentation_index(), in thousandths: -1000 when a suitable block exists, towards
    /// 1000 when failure is due to fragmentation, towards 0 when due to lack of memory.
    public static func fragmentationIndex(_ nrFree: [Int], order: Int) -> Int {
        let info = contigInfo(nrFree, order: order)
        if info.total == 0 { return 0 }
        if info.suitable > 0 { return -1000 }
        return 1000 - (1000 + info.freePages * 1000 / (1 << order)) / info.total
    }
}
