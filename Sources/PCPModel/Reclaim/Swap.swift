/// One process's anonymous mapping (a VMA's page table, reduced to offset -> folio or swap
/// entry): what reclaim swaps out and a later touch faults back in.
final class AnonArea {
    let pages: Int
    /// Per page offset: 0 none (never touched), pfn + 1 resident, `AnonArea.swapped` a swap entry.
    let slots: FixedArray<UInt32>
    var resident = 0
    var swapped = 0
    static let swapped: UInt32 = .max

    init(pages: Int) {
        self.pages = pages
        slots = FixedArray(zeroed: pages)
    }
}

/// What one touch of an anonymous page met.
public enum AnonAccess: Equatable, Sendable {
    /// Resident: the PTE's accessed bit is set.
    case hit
    /// First touch: a zeroed page was faulted in at this pfn.
    case fault(pfn: Int)
    /// Swapped out: read back from the swap device into this pfn (pswpin, pgmajfault).
    case swapIn(pfn: Int)
    /// No memory for the page (the OOM killer may have been called).
    case failed
}

/// The swap device (`--swap`) and anonymous memory reclaim (mm/swapfile.c, mm/swap_state.c,
/// mm/page_io.c, mm/memory.c do_swap_page, Linux 6.18).
///
/// The device does synchronous I/O (SWP_SYNCHRONOUS_IO, as zram): a swap-out completes inside
/// the reclaim pass that wrote it, so the folio is freed in that pass; a swap-in bypasses the
/// swap cache and frees its slot, so SwapCached stays 0. The device's own memory (zram's
/// compressed store) is not modelled, and neither are workingset refault detection
/// (lru_note_cost_refault) nor large anon folios (the anon areas fault order-0 pages).
extension Machine {
    /// lru.owner of an anon area's folio: this bit | (area id + 1). Bit 31 is a held store's
    /// (`HeldStore.tag`); page cache owners (file id + 1) stay below both.
    static let anonOwnerBit: UInt32 = 1 << 30

    /// swapon(2) of a device of `pages` pages; one page holds the swap header, as
    /// setup_swap_extents leaves it.
    public func swapon(pages: Int) {
        reclaim.swapPages = max(0, pages - 1)
        reclaim.swapUsed = 0
    }

    /// mmap of an anonymous region of `pages` pages; returns its id.
    public func createAnonArea(pages: Int) -> Int {
        anonAreas.append(AnonArea(pages: max(1, pages)))
        return anonAreas.count - 1
    }

    /// Pages of area `id` in memory and in swap.
    public func anonResident(_ id: Int) -> Int { anonAreas[id].resident }
    public func anonSwapped(_ id: Int) -> Int { anonAreas[id].swapped }

    /// A process reads or writes one page of its area: a resident page gets its accessed bit
    /// (folio_referenced() finds it at the next scan), a new one is faulted in
    /// (do_anonymous_page), a swapped one is read back (do_swap_page).
    public func anonAccess(cpu: Int, area id: Int, offset: Int) -> AnonAccess {
        let a = anonAreas[id]
        precondition(offset >= 0 && offset < a.pages, "offset \(offset) outside area of \(a.pages) pages")
        let s = a.slots[offset]
        if s != 0 && s != AnonArea.swapped {
            let pfn = Int(s) - 1
            if lru.onLRUOrIsolated(pfn) { lru.set(pfn, FolioFlag.young) }
            return .hit
        }
        guard let r = allocPages(cpu: cpu, order: 0, kind: .anon) else { return .failed }
        let pfn = self.pfn(of: r)
        lru.owner[pfn] = Machine.anonOwnerBit | UInt32(id + 1)
        lru.offset[pfn] = UInt32(offset)
        lru.set(pfn, FolioFlag.young)
        a.slots[offset] = UInt32(pfn + 1)
        a.resident += 1
        guard s == AnonArea.swapped else { return .fault(pfn: pfn) }
        // swap_read_folio(): the slot is freed once the PTE maps the page (no swap cache).
        a.swapped -= 1
        reclaim.swapUsed -= 1
        countEvent(.pswpin)
        countEvent(.pgmajfault)
        return .swapIn(pfn: pfn)
    }

    /// exit_mmap() of an area: resident folios go back through the free path
    /// (free_pages_and_swap_cache -> free_unref_folios), swap entries are released
    /// (free_swap_and_cache). Returns the pages freed from memory.
    @discardableResult
    public func unmapAnonArea(cpu: Int, area id: Int) throws(FreeError) -> Int {
        let a = anonAreas[id]
        var freed = 0
        for o in 0..<a.pages {
            let s = a.slots[o]
            a.slots[o] = 0
            if s == AnonArea.swapped {
                reclaim.swapUsed -= 1
            } else if s != 0 {
                let pfn = Int(s) - 1, z = zoneOf(pfn: pfn)
                lru.owner[pfn] = 0
                try freePages(cpu: cpu, PageRef(zone: z.id, index: z.index(pfn)), order: 0)
                freed += 1
            }
        }
        a.resident = 0
        a.swapped = 0
        return freed
    }

    /// Whether a folio belongs to an anon area (an anonymous folio with a swap-backed home).
    @inline(__always) func isAreaAnon(_ pfn: Int) -> Bool { lru.owner[pfn] & (HeldStore.tag | Machine.anonOwnerBit) == Machine.anonOwnerBit }

    /// The area folio at `pfn` moved to `to` (migration).
    func anonMoved(from pfn: Int, to: Int) {
        let a = anonAreas[Int(lru.owner[pfn] & ~Machine.anonOwnerBit) - 1], o = Int(lru.offset[pfn])
        if a.slots[o] == UInt32(pfn + 1) { a.slots[o] = UInt32(to + 1) }
    }

    /// shrink_folio_list()'s anonymous branch: add_to_swap() takes a slot (none left: the
    /// folio is activated), pageout() writes it (pswpout), and __remove_mapping() frees it.
    /// Returns whether the folio was freed.
    func swapOutFolio(cpu: Int, _ z: Zone, pfn: Int) -> Bool {
        let n = lru.nrPages(pfn)
        guard reclaim.swapPages - reclaim.swapUsed >= n else { return false }
        let a = anonAreas[Int(lru.owner[pfn] & ~Machine.anonOwnerBit) - 1], o = Int(lru.offset[pfn])
        reclaim.swapUsed += n
        a.slots[o] = AnonArea.swapped
        a.resident -= n
        a.swapped += n
        countEvent(.pswpout, n)
        lru.owner[pfn] = 0
        freeReclaimedFolio(cpu: cpu, z, pfn: pfn)
        return true
    }

    /// lru_note_cost() (mm/swap.c, 6.18): reclaim's I/O (SWAP_CLUSTER_MAX per page written)
    /// and rotations charge the list type; both costs halve when they outgrow a quarter of the
    /// node's LRU pages.
    func lruNoteCost(nid: Int, file: Bool, io: Int, rotated: Int) {
        let cost = io * K.swapClusterMax + rotated
        if file { reclaim.fileCost[nid] += cost } else { reclaim.anonCost[nid] += cost }
        let size = LRUList.evictable.reduce(0) { $0 + lru.pages(nid: nid, $1) }
        if reclaim.fileCost[nid] + reclaim.anonCost[nid] > size / 4 {
            reclaim.fileCost[nid] /= 2
            reclaim.anonCost[nid] /= 2
        }
    }
}
