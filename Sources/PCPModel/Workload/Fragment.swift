/// An anonymous region whose pages compaction may move: the owner a migration remaps
/// (PageMover). Each order-0 page has a slot; a reverse map finds the slot from the page.
public final class AnonRegion: PageMover {
    /// Unchecked: only the simulation thread touches a region, and the dynamic exclusivity
    /// check of each write was most of a fault's bookkeeping in an aging machine.
    @exclusivity(unchecked) var slots: [PageRef?] = []
    /// Per zone, per page index: the slot holding it (-1: none).
    @exclusivity(unchecked) var reverse: [[Int32]]
    /// The mover that was the machine's before this one (an aged machine's long-lived
    /// processes): pages this region does not hold are its to follow.
    var previous: PageMover?

    init(_ m: Machine) { reverse = m.zones.map { [Int32](repeating: -1, count: $0.pages.count) } }

    func add(_ r: PageRef) {
        reverse[Int(r.zone)][Int(r.index)] = Int32(slots.count)
        slots.append(r)
    }

    func remove(slot s: Int) -> PageRef? {
        guard let r = slots[s] else { return nil }
        reverse[Int(r.zone)][Int(r.index)] = -1
        slots[s] = nil
        return r
    }

    public func isMovable(_ ref: PageRef, order: Int) -> Bool {
        (order == 0 && reverse[Int(ref.zone)][Int(ref.index)] >= 0) || previous?.isMovable(ref, order: order) == true
    }

    public func moved(from: PageRef, to: PageRef, order: Int) {
        let s = reverse[Int(from.zone)][Int(from.index)]
        guard s >= 0 else { previous?.moved(from: from, to: to, order: order); return }
        reverse[Int(from.zone)][Int(from.index)] = -1
        reverse[Int(to.zone)][Int(to.index)] = s
        slots[Int(s)] = to
    }
}

/// `fragment`: fixtures/lived-in-6.18's fragment.c and thpfault.c on CPU 0. It maps `mib` MiB
/// of anonymous memory a page at a time, frees every other page, then optionally writes 1 to
/// compact_memory, then faults `thps` THP-sized ranges (MADV_HUGEPAGE when `madvise=1`): a range
/// without a THP is faulted as 512 base pages, as thpfault.c's touch of every page does. The
/// region's base pages are movable: compaction migrates them.
struct FragmentRegion: Workload {
    let name = "fragment"
    let region: AnonRegion
    let pages: Int
    let compact: Bool
    let thps: Int
    let madvised: Bool
    var touched = 0, freed = 0, compacted = false, faulted = 0, small = 0
    var huge = HeldBlocks()
    var finished: Bool { faulted >= thps && small == 0 && freed >= pages / 2 && (compacted || !compact) }

    init(_ m: Machine, mib: Int, compact: Bool, thps: Int, madvised: Bool) {
        region = AnonRegion(m)
        region.previous = m.mover
        m.mover = region
        pages = mib << 8
        self.compact = compact
        self.thps = thps
        self.madvised = madvised
    }

    mutating func step(_ m: Machine, cpu: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation {
        guard cpu == 0, !finished else { return .idle(cpu) }
        if touched < pages {
            touched += 1
            guard let r = m.allocPages(cpu: 0, order: 0, kind: .anon) else { return Operation(kind: .allocFailed, cpu: 0, order: 0, pfn: -1) }
            region.add(r)
            return Operation(kind: .alloc, cpu: 0, order: 0, pfn: m.pfn(of: r))
        }
        if freed < pages / 2 {
            let s = 2 * freed + 1
            freed += 1
            guard s < region.slots.count, let r = region.remove(slot: s) else { return .idle(0) }
            return try m.freeOp(cpu: 0, r, order: 0)
        }
        if compact && !compacted {
            compacted = true
            try? m.compactMemory(1)
            return .idle(0)
        }
        if small > 0 {
            small -= 1
            guard let r = m.allocPages(cpu: 0, order: 0, kind: .anon) else { return Operation(kind: .allocFailed, cpu: 0, order: 0, pfn: -1) }
            region.add(r)
            return Operation(kind: .alloc, cpu: 0, order: 0, pfn: m.pfn(of: r))
        }
        faulted += 1
        guard let r = m.allocTHP(cpu: 0, madvised: madvised) else {
            small = K.pageblockNrPages
            return Operation(kind: .allocFailed, cpu: 0, order: K.hpagePMDOrder, pfn: -1)
        }
        huge.append(r, order: K.hpagePMDOrder, m)
        return Operation(kind: .alloc, cpu: 0, order: K.hpagePMDOrder, pfn: m.pfn(of: r))
    }
}
