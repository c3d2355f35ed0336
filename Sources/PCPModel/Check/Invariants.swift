/// A broken model invariant: which zone, which page, after which operation.
public struct InvariantViolation: Error, CustomStringConvertible {
    public var zone: String
    public var pfn: Int?
    public var operation: String
    public var what: String
    public var description: String {
        "invariant violated after \(operation): zone \(zone)\(pfn.map { " pfn \($0)" } ?? ""): \(what)"
    }
}

/// Checks the whole machine: every page in exactly one place, list lengths and counters equal
/// to list contents, no mergeable free buddies left apart, counters never going backwards.
/// O(pages): tests and `--check` call it, the model itself never does.
public final class InvariantChecker {
    /// The counters at the last monotonic check (saved with the engine, so a resumed machine
    /// is held to what the checker saw before the save).
    var lastEvents: [Int] = []
    var lastLockAcquisitions: [Int] = []
    var lastNuma: [[Int]] = []
    /// The incremental check's state (IncrementalCheck.swift): pages a full scan reads, and
    /// pages' worth of full scanning the operations since the last one have earned.
    var pagesInZones = 0
    var scanCredit = 0

    public init() {}

    /// `monotonic`: also compare the event counters with the previous check's (a caller that
    /// checks a copy of the machine compares them on the original, `checkMonotonic`).
    public func check(_ m: Machine, after operation: String, monotonic: Bool = true) throws(InvariantViolation) {
        for z in m.zones where z.isPopulated { try checkZone(z, m, operation) }
        try checkLRU(m, operation)
        try checkSwap(m, operation)
        try checkHeld(m, operation)
        if monotonic { try checkMonotonic(m, after: operation) }
    }

    func fail(_ z: Zone, _ i: Int?, _ op: String, _ what: String) -> InvariantViolation {
        InvariantViolation(zone: "Node \(z.nid) \(z.type.name)", pfn: i.map(z.pfn), operation: op, what: what)
    }

    private func checkZone(_ z: Zone, _ m: Machine, _ op: String) throws(InvariantViolation) {
        var buddyHeads = 0, pcpPages = 0, freePages = 0, freeBlocksPages = 0, highatomicFree = 0, heads = 0
        var i = 0
        while i < z.pages.count {
            let s = z.pages.state(i)
            if s == .reserved { i += 1; continue }
            if s == .tail { throw fail(z, i, op, "page belongs to no block (tail without a head)") }
            let o = z.pages.order(i), n = 1 << o
            guard i & (n - 1) == 0, i + n <= z.pages.count else { throw fail(z, i, op, "order-\(o) block is misaligned") }
            for t in (i + 1)..<(i + n) where z.pages.state(t) != .tail {
                throw fail(z, t, op, "page inside an order-\(o) \(s) block is itself \(z.pages.state(t))")
            }
            heads += 1
            switch s {
            case .buddy:
                buddyHeads += 1
                let mt = z.blockType(i)
                if mt != MigrateType.isolate.rawValue {
                    freePages += n
                    if o >= K.pageblockOrder { freeBlocksPages += n }
                }
                if mt == MigrateType.highAtomic.rawValue { highatomicFree += n }
                if o < K.pageblockOrder, z.isFreeBuddy(i ^ n, order: o) {
                    throw fail(z, i, op, "free order-\(o) block and its buddy were left unmerged")
                }
            case .pcp: pcpPages += n
            default: break
            }
            // Every page is free, on a PCP, on exactly one LRU, isolated, or allocated to a
            // user that keeps it off the LRU.
            let f = m.lru.folioFlags(z.pfn(i))
            let onLRU = f & FolioFlag.lru != 0, isolated = f & FolioFlag.isolated != 0
            if s == .allocated, let k = AllocKind(rawValue: z.pages.kind(i)), k == .anon || k == .file || k == .thp {
                guard onLRU != isolated else { throw fail(z, i, op, "\(k.name) folio is \(onLRU ? "both on an LRU and isolated" : "neither on an LRU nor isolated")") }
                guard m.lru.order(z.pfn(i)) == o, (f & FolioFlag.file != 0) == (k == .file) else {
                    throw fail(z, i, op, "\(k.name) folio's LRU flags do not match its order or kind")
                }
            } else if m.lru.flags[z.pfn(i)] != 0 {
                // All 16 bits: the free path skips a non-LRU kind's flags unread.
                throw fail(z, i, op, "a \(s) block carries LRU flags \(m.lru.flags[z.pfn(i)])")
            }
            for t in (i + 1)..<(i + n) where m.lru.folioFlags(z.pfn(t)) != 0 {
                throw fail(z, t, op, "a tail page carries LRU flags")
            }
            i += n
        }
        // Free lists: contents, lengths, nr_free, and the list type matching the block type.
        var listed = 0
        for o in 0...K.maxOrder {
            var perOrder = 0
            for mt in 0..<MigrateType.count {
                let l = Zone.freeList(o, mt)
                var e = z.lists.head[l], len = 0, prev = PageStore.none
                while e != PageStore.none {
                    let x = Int(e)
                    guard z.pages.isHead(x, .buddy, order: o) else { throw fail(z, x, op, "entry on order-\(o) free list is not a free order-\(o) block") }
                    // A head's back link may be stale (`ListSet.remove`).
                    guard prev == PageStore.none || z.pages.prevOf(x) == prev else { throw fail(z, x, op, "free list back link is broken") }
                    guard z.blockType(x) == mt else {
                        throw fail(z, x, op, "block of type \(z.blockType(x)) sits on the type-\(mt) free list")
                    }
                    len += 1; prev = e; e = z.pages.nextOf(x)
                }
                guard len == z.lists.length[l] else { throw fail(z, nil, op, "order-\(o) type-\(mt) list holds \(len), length says \(z.lists.length[l])") }
                perOrder += len
            }
            guard perOrder == z.nrFree[o] else { throw fail(z, nil, op, "nr_free[\(o)] is \(z.nrFree[o]) but the lists hold \(perOrder)") }
            listed += perOrder
        }
        guard listed == buddyHeads else { throw fail(z, nil, op, "\(buddyHeads) free blocks in memory but \(listed) on free lists") }
        guard z.pageStateExact(.nrFreePages) == freePages else {
            throw fail(z, nil, op, "NR_FREE_PAGES is \(z.pageStateExact(.nrFreePages)) but \(freePages) pages are free")
        }
        guard z.pageStateExact(.nrFreePagesBlocks) == freeBlocksPages else {
            throw fail(z, nil, op, "NR_FREE_PAGES_BLOCKS is \(z.pageStateExact(.nrFreePagesBlocks)) but \(freeBlocksPages) pages are in free pageblocks")
        }
        guard z.nrFreeHighatomic == highatomicFree else { throw fail(z, nil, op, "nr_free_highatomic is \(z.nrFreeHighatomic), lists hold \(highatomicFree)") }
        // PCPs: every entry a PCP block of the list's order held by that CPU; count equals
        // the regular lists plus what the design holds beside them (a buddy area).
        var pcpListed = 0
        for c in 0..<m.nrCPUs {
            var count = 0
            for pindex in 0..<K.nrPCPLists {
                let l = z.pcpList(c, pindex), o = pindexToOrder(pindex)
                var e = z.lists.head[l], len = 0
                while e != PageStore.none {
                    let x = Int(e)
                    guard z.pages.isHead(x, .pcp, order: o), !z.pages.isPCPBuddy(x), z.pages.cpuOf(x) == c else {
                        throw fail(z, x, op, "entry on CPU \(c) PCP list \(pindex) is not an order-\(o) PCP block of that CPU")
                    }
                    count += 1 << o; len += 1; e = z.pages.nextOf(x)
                }
                guard len == z.lists.length[l] else { throw fail(z, nil, op, "CPU \(c) PCP list \(pindex) length is wrong") }
            }
            do { count += try m.driver.checkPCP(z, cpu: c) } catch { throw fail(z, error.page, op, error.what) }
            guard count == z.pcp[c].count else { throw fail(z, nil, op, "CPU \(c) pcp->count is \(z.pcp[c].count) but its lists hold \(count)") }
            pcpListed += count
        }
        guard pcpListed == pcpPages else { throw fail(z, nil, op, "\(pcpPages) pages marked PCP but \(pcpListed) on PCP lists") }
        guard z.pcpCountTotal == pcpListed else { throw fail(z, nil, op, "the zone's sum of pcp->count is \(z.pcpCountTotal) but its CPUs' counts add to \(pcpListed)") }
        do { try m.driver.checkZone(z) } catch { throw fail(z, error.page, op, error.what) }
    }

    /// The LRU lists: links, every entry an LRU folio of the list's type, sizes equal to the
    /// lists and to the node and zone counters (exact, with every CPU's pending delta).
    private func checkLRU(_ m: Machine, _ op: String) throws(InvariantViolation) {
        for nid in 0..<m.nrNodes {
            var zoneSizes = [[Int]](repeating: [Int](repeating: 0, count: LRUList.count), count: K.nrZoneTypes)
            for l in LRUList.allCases {
                let li = nid * LRUList.count + l.rawValue
                var e = m.lru.head[li], prev = LRUStore.none, pages = 0
                while e != LRUStore.none {
                    let pfn = Int(e)
                    let z = m.zoneOf(pfn: pfn)
                    guard z.nid == nid, m.lru.test(pfn, FolioFlag.lru), m.lru.lruList(pfn) == l else {
                        throw InvariantViolation(zone: "Node \(nid)", pfn: pfn, operation: op, what: "entry on \(l) is not an LRU folio of that list")
                    }
                    guard z.pages.isHead(z.index(pfn), .allocated, order: m.lru.order(pfn)) else {
                        throw InvariantViolation(zone: "Node \(nid)", pfn: pfn, operation: op, what: "LRU entry is not an allocated folio of its order")
                    }
                    guard m.lru.prev[pfn] == prev else { throw InvariantViolation(zone: "Node \(nid)", pfn: pfn, operation: op, what: "LRU back link is broken") }
                    pages += m.lru.nrPages(pfn)
                    zoneSizes[z.type.rawValue][l.rawValue] += m.lru.nrPages(pfn)
                    prev = e; e = m.lru.next[pfn]
                }
                guard pages == m.lru.size[li] else {
                    throw InvariantViolation(zone: "Node \(nid)", pfn: nil, operation: op, what: "\(l) holds \(pages) pages, its size says \(m.lru.size[li])")
                }
                let counter = m.nodeStats.exact(nid * NodeStat.count + l.nodeStat.rawValue)
                guard counter == pages else {
                    throw InvariantViolation(zone: "Node \(nid)", pfn: nil, operation: op, what: "node counter for \(l) is \(counter) but the list holds \(pages) pages")
                }
            }
            for t in 0..<K.nrZoneTypes {
                let z = m.zones[nid * K.nrZoneTypes + t]
                guard z.isPopulated else { continue }
                for l in LRUList.allCases where z.pageStateExact(l.zoneStat) != zoneSizes[t][l.rawValue] {
                    throw InvariantViolation(zone: "Node \(nid) \(z.type.name)", pfn: nil, operation: op,
                                             what: "zone counter for \(l) is \(z.pageStateExact(l.zoneStat)) but its folios on the list hold \(zoneSizes[t][l.rawValue])")
                }
            }
        }
    }

    /// Every resident page of an anon area is its folio (owner and offset agree), and the swap
    /// slots in use are the areas' swap entries, no more than the device holds.
    private func checkSwap(_ m: Machine, _ op: String) throws(InvariantViolation) {
        var swapped = 0
        for (id, a) in m.anonAreas.enumerated() {
            var resident = 0, entries = 0
            for o in 0..<a.pages {
                let s = a.slots[o]
                if s == AnonArea.swapped { entries += 1; continue }
                guard s != 0 else { continue }
                let pfn = Int(s) - 1
                resident += 1
                guard m.lru.owner[pfn] == Machine.anonOwnerBit | UInt32(id + 1), Int(m.lru.offset[pfn]) == o,
                      m.lru.onLRUOrIsolated(pfn) else {
                    throw InvariantViolation(zone: "-", pfn: pfn, operation: op, what: "anon area \(id) offset \(o) maps a page that is not its folio")
                }
            }
            guard resident == a.resident, entries == a.swapped else {
                throw InvariantViolation(zone: "-", pfn: nil, operation: op, what: "anon area \(id) counts \(a.resident) resident and \(a.swapped) swapped, its slots \(resident) and \(entries)")
            }
            swapped += entries
        }
        guard swapped == m.reclaim.swapUsed, m.reclaim.swapUsed <= m.reclaim.swapPages else {
            throw InvariantViolation(zone: "-", pfn: nil, operation: op, what: "\(m.reclaim.swapUsed) swap slots in use of \(m.reclaim.swapPages), the areas hold \(swapped)")
        }
    }

    /// A held block not marked an LRU folio has no LRU flags and no holder's tag: a free or a
    /// removal of it leaves its LRU lines unread (`HeldEntry.lruFolio`).
    private func checkHeld(_ m: Machine, _ op: String) throws(InvariantViolation) {
        for s in m.heldStores {
            for k in 0..<s.count where !s[k].lruFolio {
                let pfn = m.pfn(of: s[k].ref)
                guard !m.lru.onLRUOrIsolated(pfn), m.lru.owner[pfn] & HeldStore.tag == 0 else {
                    throw InvariantViolation(zone: "-", pfn: pfn, operation: op, what: "held block \(k) of store \(s.id) is an LRU folio not marked as one")
                }
            }
        }
    }

    /// Counters that only ever grow (events, zone->lock acquisitions, NUMA events) did not go
    /// down since the last call.
    public func checkMonotonic(_ m: Machine, after op: String) throws(InvariantViolation) {
        try checkAgainstMemory(m, after: op)
        lastEvents = m.events
        lastLockAcquisitions = m.zones.map(\.lock.acquisitions)
        lastNuma = m.zones.map(\.numaEvents)
    }

    /// The counters are not below the last check's (which it leaves as they are).
    func checkAgainstMemory(_ m: Machine, after op: String) throws(InvariantViolation) {
        let locks = m.zones.map(\.lock.acquisitions), numa = m.zones.map(\.numaEvents)
        if !lastEvents.isEmpty {
            for (e, v) in m.events.enumerated() where v < lastEvents[e] {
                throw InvariantViolation(zone: "-", pfn: nil, operation: op, what: "event counter \(VMEvent(rawValue: e)!) went backwards")
            }
            for (k, l) in locks.enumerated() where l < lastLockAcquisitions[k] {
                throw InvariantViolation(zone: m.zones[k].type.name, pfn: nil, operation: op, what: "zone->lock acquisitions went backwards")
            }
            for (k, n) in numa.enumerated() where zip(n, lastNuma[k]).contains(where: { $0 < $1 }) {
                throw InvariantViolation(zone: m.zones[k].type.name, pfn: nil, operation: op, what: "a NUMA event counter went backwards")
            }
        }
    }
}
