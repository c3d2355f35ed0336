/// Per-page state of one zone in one flat buffer: 12 bytes a page.
///
/// Index `i` is page frame `base + i`. A page is either the head of a block (it carries the
/// block's order and state) or a tail inside some block, exactly like the kernel's PageBuddy +
/// page_private(order) on the first page of a free block. Free-list and PCP-list links share
/// `next`/`prev`, because a page is on at most one list at a time.
///
/// Invariant: every page that is not a block head has state `.tail` (or `.reserved`), so a
/// buddy lookup never mistakes a stale head for a free block.
///
/// Noncopyable: its Zone owns it, and everything else borrows it. Every array starts as zero
/// pages that cost nothing until written (state 0 is `.tail`): a link means something only
/// while the page heads a listed block, a kind or CPU only while it heads an allocated or PCP
/// block. Boot writes only the heads of whole free MAX_ORDER blocks, and `slot` keeps those
/// heads' entries side by side, so a booted terabyte touches a few MiB of entries: the
/// effect of the kernel's deferred struct page init, without deferring anything visible.
public struct PageStore: ~Copyable {
    public enum State: UInt8, Sendable {
        /// Inside a block whose head is another page.
        case tail = 0
        /// Head of a free block on a zone free list (PageBuddy).
        case buddy = 1
        /// Head of a block on a PCP list.
        case pcp = 2
        /// Head of a block handed to a caller.
        case allocated = 3
        /// Never in the buddy: a hole, firmware, kernel image or memmap page.
        case reserved = 4
    }

    public static let none: UInt32 = .max

    public let count: Int
    /// One page's fields in 12 bytes, so that touching a page (its state, kind, CPU and list
    /// links) misses one cache line rather than one in each of four arrays.
    struct Entry: BitwiseCopyable {
        var next: UInt32
        var prev: UInt32
        /// bits 0-3 order, bits 4-6 State, bit 7 PagePCPBuddy (RFC).
        var info: UInt8
        /// For allocated heads: the AllocKind; for PCP heads: the list's migratetype.
        var aux: UInt8
        /// For PCP heads: the CPU whose PCP holds the block (what a PagePCPBuddy-style marker
        /// plus a per-page cpu field would record; the merging policies read it).
        var cpu: UInt16
    }
    /// Every page's entry, at `slot(i)`: `count` entries by page index, then the entry of the
    /// first page of every MAX_ORDER block (its place among the first is never used).
    private let entries: FixedArray<Entry>

    init(count: Int) {
        precondition(count & (1 << K.maxOrder - 1) == 0, "a page store holds whole MAX_ORDER blocks")
        self.count = count
        entries = FixedArray(zeroed: count + count >> K.maxOrder)
    }

    /// Where page `i`'s entry lives: at `i`, unless it is the first page of a MAX_ORDER block
    /// (the block's head at boot), whose entry sits with every other block's first after the
    /// `count` entries. So the heads boot writes lie side by side, and every page costs a
    /// test, a shift and an add. The first page is not left to an out-of-line branch: a refill
    /// hands out a split block's lowest pages first, so it is often the page taken.
    @inline(__always) private func slot(_ i: Int) -> Int {
        debugCheck(UInt(bitPattern: i) < UInt(bitPattern: count), "page \(i) out of 0..<\(count)")
        if _fastPath(i & (1 << K.maxOrder - 1) != 0) { return i }
        return count &+ i &>> K.maxOrder
    }
    /// Page `i`'s entry wanted soon.
    @inline(__always) func prefetch(_ i: Int) { entries.prefetch(slot(i)) }
    @inline(__always) func nextOf(_ i: Int) -> UInt32 { entries[slot(i)].next }
    @inline(__always) func prevOf(_ i: Int) -> UInt32 { entries[slot(i)].prev }
    @inline(__always) func setNext(_ i: Int, _ v: UInt32) { entries[slot(i)].next = v }
    @inline(__always) func setPrev(_ i: Int, _ v: UInt32) { entries[slot(i)].prev = v }
    /// Both links of a page being listed.
    @inline(__always) func setLinks(_ i: Int, next n: UInt32, prev p: UInt32) {
        let k = slot(i)
        entries[k].next = n
        entries[k].prev = p
    }
    /// Marks pages `r` as never in the buddy (holes, firmware, memmap); boot calls it for
    /// everything outside the managed range.
    func setReserved(_ r: Range<Int>) { for i in r { entries[slot(i)].info = State.reserved.rawValue << 4 } }

    /// The raw state byte (order, State, PagePCPBuddy), for restore validation.
    @inline(__always) func info(_ i: Int) -> UInt8 { entries[slot(i)].info }
    @inline(__always) public func state(_ i: Int) -> State { State(rawValue: (info(i) >> 4) & 7)! }
    @inline(__always) public func order(_ i: Int) -> Int { Int(info(i) & 0xF) }
    @inline(__always) func isHead(_ i: Int, _ s: State, order o: Int) -> Bool {
        info(i) & 0x7F == (s.rawValue << 4) | UInt8(o)
    }
    @inline(__always) func set(_ i: Int, _ s: State, order o: Int) {
        let k = slot(i)
        entries[k].info = (entries[k].info & 0x80) | (s.rawValue << 4) | UInt8(o)
    }
    @inline(__always) func setTail(_ i: Int) { entries[slot(i)].info = 0 }
    @inline(__always) public func isPCPBuddy(_ i: Int) -> Bool { info(i) & 0x80 != 0 }
    @inline(__always) func setPCPBuddy(_ i: Int, _ on: Bool) {
        let k = slot(i)
        entries[k].info = on ? entries[k].info | 0x80 : entries[k].info & 0x7F
    }
    @inline(__always) public func kind(_ i: Int) -> Int { Int(entries[slot(i)].aux) }
    /// The AllocKind of `i` when it is an allocated head of order `o`, else nil: the free
    /// path's check and its kind from one read of the entry. The kind is read without
    /// `init(rawValue:)`'s out-of-line switch: the byte was written from a kind's raw value,
    /// and a kind's raw value is its case index.
    @inline(__always) func allocatedHeadKind(_ i: Int, order o: Int) -> AllocKind? {
        let e = entries[slot(i)]
        guard e.info & 0x7F == (State.allocated.rawValue << 4) | UInt8(truncatingIfNeeded: o) else { return nil }
        debugCheck(Int(e.aux) < AllocKind.count, "page \(i) holds no AllocKind")
        return unsafeBitCast(e.aux, to: AllocKind.self)
    }
    @inline(__always) func setKind(_ i: Int, _ k: Int) { entries[slot(i)].aux = UInt8(truncatingIfNeeded: k) }
    /// A head handed out: state, order and AllocKind in one visit of the entry (PagePCPBuddy
    /// kept, as `set` keeps it).
    @inline(__always) func setAllocated(_ i: Int, order o: Int, kind: AllocKind) {
        let k = slot(i)
        entries[k].info = (entries[k].info & 0x80) | (State.allocated.rawValue << 4) | UInt8(truncatingIfNeeded: o)
        entries[k].aux = UInt8(truncatingIfNeeded: kind.rawValue)
    }
    /// The CPU whose PCP holds PCP head `i`.
    @inline(__always) public func cpuOf(_ i: Int) -> Int { Int(entries[slot(i)].cpu) }
    /// `n` blocks of `order` from `first` entering a PCP list in address order after `prev`:
    /// each entry's state, order, CPU, list type and links in one write.
    @inline(__always) func enterPCPRun(first: Int, count n: Int, order o: Int, cpu: Int, mt: Int, after prev: UInt32) {
        let info = (State.pcp.rawValue << 4) | UInt8(o), aux = UInt8(truncatingIfNeeded: mt)
        let c = UInt16(truncatingIfNeeded: cpu), last = first + (n - 1) << o
        var i = first, p = prev
        while i < last {
            entries[slot(i)] = Entry(next: UInt32(truncatingIfNeeded: i + 1 << o), prev: p, info: info, aux: aux, cpu: c)
            p = UInt32(truncatingIfNeeded: i)
            i += 1 << o
        }
        entries[slot(last)] = Entry(next: PageStore.none, prev: p, info: info, aux: aux, cpu: c)
    }

    /// A head entering a PCP list at its head, before `next`: the whole entry in one write.
    @inline(__always) func enterPCPHead(_ i: Int, order o: Int, cpu: Int, mt: Int, next: UInt32) {
        entries[slot(i)] = Entry(next: next, prev: PageStore.none, info: (State.pcp.rawValue << 4) | UInt8(truncatingIfNeeded: o),
                                 aux: UInt8(truncatingIfNeeded: mt), cpu: UInt16(truncatingIfNeeded: cpu))
    }

    /// A head entering a PCP: state, order, PagePCPBuddy, CPU and list type in one write.
    @inline(__always) func enterPCP(_ i: Int, order o: Int, cpu: Int, mt: Int, buddy: Bool) {
        let k = slot(i)
        entries[k].info = (buddy ? 0x80 : 0) | (State.pcp.rawValue << 4) | UInt8(o)
        entries[k].aux = UInt8(truncatingIfNeeded: mt)
        entries[k].cpu = UInt16(truncatingIfNeeded: cpu)
    }
}

/// Heads and tails of many doubly linked lists threaded through one PageStore.
///
/// List `l` is empty when `head[l] == PageStore.none`. New entries go to the head (LIFO, cache
/// hot) or the tail, as the kernel's list_add / list_add_tail. Every back link is exact except
/// a head's, which `remove` may leave stale. Noncopyable like PageStore.
struct ListSet: ~Copyable {
    let head: FixedArray<UInt32>
    let tail: FixedArray<UInt32>
    /// Blocks on each list; they wrap rather than trap (a list holds at most a zone's pages),
    /// as the overflow checks cost an instruction or two on every link and unlink.
    let length: FixedArray<Int>
    /// The pages linked or unlinked since the last incremental check (only while it is on).
    let touched = TouchLog()

    init(count: Int) {
        head = FixedArray(repeating: PageStore.none, count: count)
        tail = FixedArray(repeating: PageStore.none, count: count)
        length = FixedArray(zeroed: count)
    }

    @inline(__always) func isEmpty(_ l: Int) -> Bool { head[l] == PageStore.none }

    @inline(__always) func addHead(_ l: Int, _ i: Int, _ p: borrowing PageStore) {
        let h = head[l]
        p.setLinks(i, next: h, prev: PageStore.none)
        linkedAtHead(l, i, before: h, p)
    }

    /// The rest of an add at the head once `i`'s own links name `h`: the old head's back link,
    /// the list's ends and length.
    @inline(__always) private func linkedAtHead(_ l: Int, _ i: Int, before h: UInt32, _ p: borrowing PageStore) {
        let v = UInt32(truncatingIfNeeded: i)
        if h == PageStore.none { tail[l] = v } else { p.setPrev(Int(h), v) }
        head[l] = v
        length[l] &+= 1
        if touched.on { touched.add(i) }
    }

    @inline(__always) func addTail(_ l: Int, _ i: Int, _ p: borrowing PageStore) {
        let t = tail[l], v = UInt32(truncatingIfNeeded: i)
        p.setLinks(i, next: PageStore.none, prev: t)
        if t == PageStore.none { head[l] = v } else { p.setNext(Int(t), v) }
        tail[l] = v
        length[l] &+= 1
        if touched.on { touched.add(i) }
    }

    /// PCP block `i` of `order` added at the head: what `enterPCP` (not a PagePCPBuddy) and
    /// `addHead` leave, its entry written once.
    @inline(__always) func addPCPHead(_ l: Int, _ i: Int, order: Int, cpu: Int, mt: Int, _ p: borrowing PageStore) {
        let h = head[l]
        p.enterPCPHead(i, order: order, cpu: cpu, mt: mt, next: h)
        linkedAtHead(l, i, before: h, p)
    }

    /// `n` PCP blocks of `order` at `first`, `first + 2^order`... added at the tail in that
    /// order: what `n` calls of `enterPCP` and `addTail` leave, each entry written once.
    @inline(__always) func addPCPRun(_ l: Int, first: Int, count n: Int, order: Int, cpu: Int, mt: Int, _ p: borrowing PageStore) {
        let t = tail[l]
        if t == PageStore.none { head[l] = UInt32(truncatingIfNeeded: first) } else { p.setNext(Int(t), UInt32(truncatingIfNeeded: first)) }
        p.enterPCPRun(first: first, count: n, order: order, cpu: cpu, mt: mt, after: t)
        if touched.on { for k in 0..<n { touched.add(first + k << order) } }
        tail[l] = UInt32(truncatingIfNeeded: first + (n - 1) << order)
        length[l] &+= n
    }

    /// Takes `i` off list `l`. A head leaves its successor's back link stale: the successor is
    /// the new head, and a head's back link is never read (`head[l]` says which page heads).
    /// A pop from a PCP list so writes only the list's ends, not the entry of the page that
    /// the next pop takes.
    @inline(__always) func remove(_ l: Int, _ i: Int, _ p: borrowing PageStore) {
        let n = p.nextOf(i)
        if head[l] == UInt32(truncatingIfNeeded: i) {
            head[l] = n
            if n == PageStore.none { tail[l] = PageStore.none }
        } else {
            let pr = p.prevOf(i)
            p.setNext(Int(pr), n)
            if n == PageStore.none { tail[l] = pr } else { p.setPrev(Int(n), pr) }
        }
        length[l] &-= 1
        if touched.on { touched.add(i) }
    }

    /// Gives the heads of lists `ls` the back link none, before a save: a state keeps every
    /// listed page's links exact, as builds whose `remove` reads a head's back link need.
    func clearHeadBackLinks(_ ls: Range<Int>, _ p: borrowing PageStore) {
        for l in ls where head[l] != PageStore.none { p.setPrev(Int(head[l]), PageStore.none) }
    }
}

extension PageStore {
    /// Every per-page array, raw (untouched runs of a lazily booted store stay untouched).
    func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(entries)
    }
}
