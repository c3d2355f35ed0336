import PCPModel

extension TraceText {
    /// An allocation alloc_pages_bulk() made untraced of a page freed twice (`secondFrees`).
    struct SecondFree: Sendable {
        /// The CPU whose list held the page: the first free's.
        var cpu: Int
        var pfn: Int
        /// Index in the lines of the event it happened before: that list's next refill (a
        /// list refills only once empty, so the page was gone by then), else the second free.
        var before: Int
    }

    /// Frees of an order-0 page its CPU's PCP already took back, with no traced event for the
    /// page between: the first free put it on that CPU's list, and alloc_pages_bulk() (vmalloc,
    /// so VMAP_STACK kernel stacks) took it off again untraced before the second free.
    /// alloc_pages_bulk_noprof() (6.18) hands out order-0 pages only, from the list of the
    /// gfp's type on the CPU it runs on, without mm_page_alloc; the kernel's callers of it ask
    /// for UNMOVABLE pages, and a freed page joins the list of its pageblock's type. So only a
    /// page of an UNMOVABLE pageblock (as the trace's refills and drains name its block, else
    /// as its last traced allocation's type does) counts, and the allocation ran on the first
    /// free's CPU, whose list held the page; the second free's CPU is only where the page's
    /// owner let it go. Only events from `beginNs` on count.
    static func secondFrees(_ all: [Line], from beginNs: Int64?) -> [SecondFree] {
        let types = pageblockTypes(all)
        let unmovable = MigrateType.unmovable.rawValue
        /// Order-0 page -> the CPU whose list its last free put it on and that free's index,
        /// while no event named the page.
        var freedTo: [Int: (cpu: Int, at: Int)] = [:]
        /// Per CPU: the PCP refill being traced (pcp->lock held: a free then goes to the
        /// buddy), its first line, whether it fills the order-0 UNMOVABLE list, its entries.
        var refill: [Int: (at: Int, unmovable0: Bool, n: Int)] = [:]
        /// Per CPU: where each refill of two or more entries (a single one can be a direct
        /// buddy allocation) of its order-0 UNMOVABLE list began.
        var refills: [Int: [Int]] = [:]
        var pairs: [(cpu: Int, pfn: Int, first: Int, second: Int)] = []
        /// Order-0 page -> the migratetype of its last traced allocation: the list it came off,
        /// so its pageblock's type, where no refill or drain names the block.
        var allocType: [Int: Int] = [:]
        for (i, l) in all.enumerated() where l.event.hasPrefix("mm_page_") {
            if let beginNs, l.timeNs < beginNs { continue }
            guard let pfn = l.pfn else { continue }
            let order = l.fields["order"].flatMap { Int($0) }
            switch l.event {
            case "mm_page_free" where order == 0:
                if let f = freedTo[pfn], (types[pfn >> K.pageblockOrder] ?? allocType[pfn]) == unmovable { pairs.append((f.cpu, pfn, f.at, i)) }
                freedTo[pfn] = refill[l.cpu] != nil ? nil : (l.cpu, i)
            case "mm_page_alloc_zone_locked":
                if l.fields["percpu_refill"] == "1" {
                    let u0 = order == 0 && l.fields["migratetype"] == "\(unmovable)"
                    if let r = refill[l.cpu] { refill[l.cpu]!.n = r.n + 1 } else { refill[l.cpu] = (i, u0, 1) }
                }
                freedTo[pfn] = nil
            case "mm_page_alloc":
                if order == 0 { allocType[pfn] = l.fields["migratetype"].flatMap { Int($0) } }
                if let r = refill.removeValue(forKey: l.cpu), r.unmovable0, r.n >= 2 { refills[l.cpu, default: []].append(r.at) }
                freedTo[pfn] = nil
            default:
                freedTo[pfn] = nil
            }
        }
        return pairs.map { p in
            let next = refills[p.cpu]?.first { $0 > p.first } ?? .max
            return SecondFree(cpu: p.cpu, pfn: p.pfn, before: min(next, p.second))
        }
    }

    /// Pageblock (pfn >> pageblock order) -> its migratetype as the trace first names it: a
    /// refill takes pages off the free list of its block's type, and a drain names the type
    /// of the list the page was on, its block's when it was freed.
    static func pageblockTypes(_ all: [Line]) -> [Int: Int] {
        var out: [Int: Int] = [:]
        for l in all where l.event == "mm_page_pcpu_drain" || (l.event == "mm_page_alloc_zone_locked" && l.fields["percpu_refill"] == "1") {
            guard let p = l.pfn, let mt = l.fields["migratetype"].flatMap({ Int($0) }) else { continue }
            if out[p >> K.pageblockOrder] == nil { out[p >> K.pageblockOrder] = mt }
        }
        return out
    }
}
