/// enum lru_list of 6.18 (classic active/inactive LRU: this kernel has no MGLRU). The raw value
/// is also the node_stat_item offset from NR_LRU_BASE and the zone_stat_item offset from
/// NR_ZONE_LRU_BASE.
public enum LRUList: Int, CaseIterable, Sendable {
    case inactiveAnon = 0, activeAnon, inactiveFile, activeFile, unevictable
    public static let count = 5
    /// The evictable lists, in for_each_evictable_lru() order.
    static let evictable: [LRUList] = [.inactiveAnon, .activeAnon, .inactiveFile, .activeFile]

    @inline(__always) var isFile: Bool { self == .inactiveFile || self == .activeFile }
    @inline(__always) var isActive: Bool { self == .activeAnon || self == .activeFile }
    @inline(__always) static func of(file: Bool, active: Bool) -> LRUList {
        LRUList(rawValue: (file ? 2 : 0) + (active ? 1 : 0))!
    }
    var nodeStat: NodeStat { NodeStat(rawValue: rawValue)! }
    var zoneStat: ZoneStat { ZoneStat(rawValue: ZoneStat.nrZoneInactiveAnon.rawValue + rawValue)! }
}

/// The folio flags reclaim reads, one UInt16 per pfn (meaningful on folio heads): the low 12
/// bits are flags, the top 4 the folio's order (folio_nr_pages without a zone lookup).
public enum FolioFlag {
    /// PG_lru: on one of the node's LRU lists.
    public static let lru: UInt16 = 1 << 0
    /// PG_active.
    public static let active: UInt16 = 1 << 1
    /// PG_referenced (folio_mark_accessed's first touch).
    public static let referenced: UInt16 = 1 << 2
    /// A file (page cache) folio rather than anonymous memory.
    public static let file: UInt16 = 1 << 3
    /// PG_unevictable (mlocked: on the unevictable list).
    public static let unevictable: UInt16 = 1 << 4
    /// PG_dirty.
    public static let dirty: UInt16 = 1 << 5
    /// A PTE maps it and its accessed bit is set (what folio_referenced() finds and clears).
    public static let young: UInt16 = 1 << 6
    /// Mapped into a process (folio_mapped()).
    public static let mapped: UInt16 = 1 << 7
    /// Taken off its LRU by isolate_lru_folios()/folio_isolate_lru(): reclaim or migration
    /// holds it (PG_lru clear, counted in nr_isolated_*).
    public static let isolated: UInt16 = 1 << 8
    /// PG_writeback.
    public static let writeback: UInt16 = 1 << 9
    /// PG_mlocked.
    public static let mlocked: UInt16 = 1 << 10
    /// Shared memory (tmpfs/shm): file-backed, on the anon LRU, counted in Shmem.
    public static let shmem: UInt16 = 1 << 11
    static let orderShift: UInt16 = 12
}

/// Every node's LRU lists (struct lruvec, one per node: no memcg), threaded through flat
/// per-pfn arrays: the links, the folio flags and the folio's owner (which file and offset
/// for the page cache; 0 for memory a workload holds itself).
///
/// A folio is linked by its head pfn. Lists are indexed nid * 5 + lru; sizes are in pages, so
/// they equal the node counters NR_INACTIVE_ANON...NR_UNEVICTABLE once those are folded.
/// New folios go to the head, reclaim takes from the tail, as lruvec_add_folio and
/// isolate_lru_folios do. Noncopyable: the Machine owns it.
public struct LRUStore: ~Copyable {
    static let none: UInt32 = .max
    /// A folio's list links side by side with its owner and offset: an unlink touches one
    /// cache line per neighbour, and freeing or holding a folio finds all four in one line.
    struct Links: BitwiseCopyable {
        var next: UInt32
        var prev: UInt32
        var owner: UInt32
        var offset: UInt32
    }
    let links: FixedArray<Links>
    /// One of the two data fields, read and written by pfn.
    struct DataView {
        fileprivate let base: UnsafeMutablePointer<Links>
        /// false: owner, true: offset.
        fileprivate let second: Bool
        let count: Int
        subscript(pfn: Int) -> UInt32 {
            @inline(__always) get {
                debugCheck(UInt(bitPattern: pfn) < UInt(bitPattern: count), "pfn \(pfn) out of 0..<\(count)")
                return second ? base[pfn].offset : base[pfn].owner
            }
            @inline(__always) nonmutating set {
                debugCheck(UInt(bitPattern: pfn) < UInt(bitPattern: count), "pfn \(pfn) out of 0..<\(count)")
                if second { base[pfn].offset = newValue } else { base[pfn].owner = newValue }
            }
        }
    }
    /// One direction of the links, read by index (the checker and the page cache walk them).
    struct LinkView {
        fileprivate let base: UnsafePointer<Links>
        let prevSide: Bool
        subscript(pfn: Int) -> UInt32 { prevSide ? base[pfn].prev : base[pfn].next }
    }
    var next: LinkView { links.withBase { LinkView(base: $0, prevSide: false) } }
    var prev: LinkView { links.withBase { LinkView(base: $0, prevSide: true) } }
    let flags: FixedArray<UInt16>
    /// Page cache folios: file id + 1; folios a workload holds: HeldStore.tag | its store; anon
    /// area folios: Machine.anonOwnerBit | area id + 1; 0: none of these.
    var owner: DataView { links.withBase { DataView(base: UnsafeMutablePointer(mutating: $0), second: false, count: links.count) } }
    /// Page cache folios: the page offset of the folio's first page in its file; held folios:
    /// their slot in the store.
    var offset: DataView { links.withBase { DataView(base: UnsafeMutablePointer(mutating: $0), second: true, count: links.count) } }
    let head: FixedArray<UInt32>
    let tail: FixedArray<UInt32>
    /// Pages on each list (wrapping, as ListSet.length: a list holds at most a node's pages).
    let size: FixedArray<Int>

    init(pfns: Int, nodes: Int) {
        links = FixedArray(zeroed: pfns)
        flags = FixedArray(zeroed: pfns)
        head = FixedArray(repeating: LRUStore.none, count: nodes * LRUList.count)
        tail = FixedArray(repeating: LRUStore.none, count: nodes * LRUList.count)
        size = FixedArray(zeroed: nodes * LRUList.count)
    }

    @inline(__always) public func folioFlags(_ pfn: Int) -> UInt16 { flags[pfn] & 0x0FFF }
    @inline(__always) public func test(_ pfn: Int, _ f: UInt16) -> Bool { flags[pfn] & f != 0 }
    /// On an LRU list, or isolated from one by reclaim or migration: a folio the LRU side owns.
    @inline(__always) public func onLRUOrIsolated(_ pfn: Int) -> Bool { test(pfn, FolioFlag.lru | FolioFlag.isolated) }
    @inline(__always) func set(_ pfn: Int, _ f: UInt16) { flags[pfn] |= f }
    @inline(__always) func clear(_ pfn: Int, _ f: UInt16) { flags[pfn] &= ~f }
    @inline(__always) public func order(_ pfn: Int) -> Int { Int(flags[pfn] >> FolioFlag.orderShift) }
    @inline(__always) public func nrPages(_ pfn: Int) -> Int { 1 << order(pfn) }

    /// The list a folio on the LRU belongs to (folio_lru_list()).
    @inline(__always) public func lruList(_ pfn: Int) -> LRUList {
        let f = flags[pfn]
        if f & FolioFlag.unevictable != 0 { return .unevictable }
        // Shmem is file-backed but swap-backed: it lives on the anon lists.
        let file = f & FolioFlag.file != 0 && f & FolioFlag.shmem == 0
        return .of(file: file, active: f & FolioFlag.active != 0)
    }

    @inline(__always) func isEmpty(_ l: Int) -> Bool { head[l] == LRUStore.none }
    public func pages(nid: Int, _ lru: LRUList) -> Int { size[nid * LRUList.count + lru.rawValue] }

    /// list_add (the head: the youngest end).
    @inline(__always) func addHead(_ l: Int, _ pfn: Int) {
        let h = head[l], v = UInt32(truncatingIfNeeded: pfn)
        links[pfn].next = h
        links[pfn].prev = LRUStore.none
        if h == LRUStore.none { tail[l] = v } else { links[Int(h)].prev = v }
        head[l] = v
        size[l] &+= nrPages(pfn)
    }

    /// list_add_tail (the oldest end: the next to be scanned).
    @inline(__always) func addTail(_ l: Int, _ pfn: Int) {
        let t = tail[l], v = UInt32(truncatingIfNeeded: pfn)
        links[pfn].next = LRUStore.none
        links[pfn].prev = t
        if t == LRUStore.none { head[l] = v } else { links[Int(t)].next = v }
        tail[l] = v
        size[l] &+= nrPages(pfn)
    }

    @inline(__always) func remove(_ l: Int, _ pfn: Int) {
        let k = links[pfn], n = k.next, p = k.prev
        if p == LRUStore.none { head[l] = n } else { links[Int(p)].next = n }
        if n == LRUStore.none { tail[l] = p } else { links[Int(n)].prev = p }
        size[l] &-= nrPages(pfn)
    }
}

/// The LRU side of the machine: adding, deleting, moving and isolating folios, with the node and
/// zone counters kept equal to the lists (mm/swap.c, mm/vmscan.c, include/linux/mm_inline.h).
extension Machine {
    /// The populated zone spanning `pfn` (page_zone()).
    @inline(__always) public func zoneOf(pfn: Int) -> Zone {
        guard let z = zoneSpanning(pfn: pfn) else { preconditionFailure("pfn \(pfn) is in no populated zone") }
        return z
    }

    /// The same for a pfn that may lie in no zone (a traced one): nil then.
    @inline(__always) public func zoneSpanning(pfn: Int) -> Zone? {
        for z in populatedZoneList where pfn >= z.geometry.startPFN && pfn < z.geometry.endPFN { return z }
        return nil
    }

    /// update_lru_size(): the node counter and the zone's NR_ZONE_LRU counter of one list.
    @inline(__always) func updateLRUSize(_ z: Zone, cpu: Int, _ lru: LRUList, _ n: Int) {
        modNodeState(nid: z.nid, cpu: cpu, lru.nodeStat, n)
        z.modState(lru.zoneStat, cpu: cpu, n)
    }

    /// folio_add_lru() + lruvec_add_folio(), for a folio just allocated (inactive, the head).
    /// The folio's page cache owner is 0 already: only the page cache sets it, and every path
    /// that clears a folio's flags clears it too.
    @inline(__always) func lruAddNew(_ z: Zone, cpu: Int, pfn: Int, order: Int, file: Bool) {
        lru.flags[pfn] = UInt16(order) << FolioFlag.orderShift | FolioFlag.lru | (file ? FolioFlag.file : 0)
        lru.addHead(z.nid &* LRUList.count &+ (file ? LRUList.inactiveFile : .inactiveAnon).rawValue, pfn)
    }

    /// lruvec_del_folio() on the free path (__folio_put of an LRU folio): off its list or out of
    /// the isolated count, flags cleared. accountKind() then takes the pages off the inactive
    /// list of their kind, so a folio found elsewhere moves its pages there first.
    @inline(__always) func lruDelOnFree(_ z: Zone, cpu: Int, pfn: Int, kindFile: Bool) {
        let f = lru.flags[pfn], n = lru.nrPages(pfn)
        let base: LRUList = kindFile ? .inactiveFile : .inactiveAnon
        if f & FolioFlag.lru != 0 {
            let l = lru.lruList(pfn)
            lru.remove(z.nid &* LRUList.count &+ l.rawValue, pfn)
            if l != base {
                updateLRUSize(z, cpu: cpu, l, -n)
                updateLRUSize(z, cpu: cpu, base, n)
            }
        } else if f & FolioFlag.isolated != 0 {
            let file = f & FolioFlag.file != 0 && f & FolioFlag.shmem == 0
            modNodeState(nid: z.nid, cpu: cpu, file ? .nrIsolatedFile : .nrIsolatedAnon, -n)
            updateLRUSize(z, cpu: cpu, base, n)
        }
        if f & FolioFlag.dirty != 0 { modNodeState(nid: z.nid, cpu: cpu, .nrFileDirty, -n) }
        if f & FolioFlag.mapped != 0 { modNodeState(nid: z.nid, cpu: cpu, .nrFileMapped, -n) }
        lru.flags[pfn] = 0
        // Only the page cache's folios (kind file) have an owner; the others never write the
        // owner array, so it stays untouched zero pages.
        if kindFile { lru.owner[pfn] = 0 }
    }

    /// Moves an LRU folio to another list (folio_activate / deactivate / rotation), to the head
    /// or the tail, with the counters.
    @inline(__always) func lruMove(_ z: Zone, cpu: Int, pfn: Int, to: LRUList, tail: Bool = false) {
        let from = lru.lruList(pfn), base = z.nid * LRUList.count
        lru.remove(base + from.rawValue, pfn)
        if to.isActive { lru.set(pfn, FolioFlag.active) } else { lru.clear(pfn, FolioFlag.active) }
        if tail { lru.addTail(base + to.rawValue, pfn) } else { lru.addHead(base + to.rawValue, pfn) }
        if from != to {
            let n = lru.nrPages(pfn)
            updateLRUSize(z, cpu: cpu, from, -n)
            updateLRUSize(z, cpu: cpu, to, n)
        }
    }

    /// folio_isolate_lru() (mm/vmscan.c, 6.18): takes an LRU folio off its list for reclaim or
    /// migration; it stays allocated and counts in nr_isolated_anon/file until
    /// `putbackLRU` or a free. Returns false when the folio is not on an LRU.
    public func folioIsolateLRU(cpu: Int, pfn: Int) -> Bool {
        guard pfn >= 0, pfn < lru.flags.count, lru.test(pfn, FolioFlag.lru) else { return false }
        isolateFromLRU(zoneOf(pfn: pfn), cpu: cpu, pfn: pfn)
        return true
    }

    @inline(__always) func isolateFromLRU(_ z: Zone, cpu: Int, pfn: Int) {
        let l = lru.lruList(pfn), n = lru.nrPages(pfn)
        lru.remove(z.nid &* LRUList.count &+ l.rawValue, pfn)
        lru.clear(pfn, FolioFlag.lru)
        lru.set(pfn, FolioFlag.isolated)
        updateLRUSize(z, cpu: cpu, l, -n)
        let file = lru.test(pfn, FolioFlag.file) && !lru.test(pfn, FolioFlag.shmem)
        modNodeState(nid: z.nid, cpu: cpu, file ? .nrIsolatedFile : .nrIsolatedAnon, n)
    }

    /// folio_putback_lru() (mm/vmscan.c, 6.18): an isolated folio back to the head of its list.
    public func folioPutbackLRU(cpu: Int, pfn: Int) {
        guard pfn >= 0, pfn < lru.flags.count, lru.test(pfn, FolioFlag.isolated) else { return }
        putbackLRU(zoneOf(pfn: pfn), cpu: cpu, pfn: pfn)
    }

    @inline(__always) func putbackLRU(_ z: Zone, cpu: Int, pfn: Int, tail: Bool = false) {
        let n = lru.nrPages(pfn)
        let file = lru.test(pfn, FolioFlag.file) && !lru.test(pfn, FolioFlag.shmem)
        modNodeState(nid: z.nid, cpu: cpu, file ? .nrIsolatedFile : .nrIsolatedAnon, -n)
        lru.clear(pfn, FolioFlag.isolated)
        lru.set(pfn, FolioFlag.lru)
        let l = lru.lruList(pfn)
        if tail { lru.addTail(z.nid * LRUList.count + l.rawValue, pfn) } else { lru.addHead(z.nid * LRUList.count + l.rawValue, pfn) }
        updateLRUSize(z, cpu: cpu, l, n)
    }

    /// Whether the folio headed at `pfn` is on an LRU list (PageLRU): a movable page
    /// compaction may isolate. Pinned, slab, page-table and kernel pages are not.
    public func isLRUFolio(pfn: Int) -> Bool { pfn >= 0 && pfn < lru.flags.count && lru.test(pfn, FolioFlag.lru) }

    /// Pages on one LRU list of a node (the lists themselves, not the folded counter).
    public func lruPages(nid: Int, _ l: LRUList) -> Int { lru.pages(nid: nid, l) }
}
