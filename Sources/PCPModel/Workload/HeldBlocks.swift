/// Blocks a workload holds, in flat arrays (no object per block).
///
/// An anonymous, THP or file folio held here is a real LRU folio that migration can move
/// (what the rmap walk does for a mapped page): its LRU owner field carries this holder's tag
/// and its offset field its slot, so `migrateFolio` rewrites the slot with the new frame.
/// Pages held `pinned` (FOLL_LONGTERM, DMA) and non-LRU kinds carry no tag and cannot move.
///
/// Each entry also records whether its folio was an LRU folio when held (`HeldEntry.lruFolio`):
/// only those can carry a holder's tag, so a free or a removal of any other block leaves the
/// folio's LRU lines untouched (at a terabyte, each was a cache and TLB miss).
///
/// A block moved between holders (`moveLast`, `absorb`) leaves those two words as they were,
/// naming its old holder and slot: writing them missed the cache on every move (a fifth of
/// jemalloc-purge's time), and only migration and a saved state read them.
/// `Machine.resolveHeldOwners` writes what the moves skipped before either does.
///
/// The storage is created on the first append, so `Array(repeating: HeldBlocks(), ...)` gives
/// each element its own.
public struct HeldBlocks {
    private var store: HeldStore?
    public init() {}
    public var refs: [PageRef] { store?.refs ?? [] }
    public var orders: [UInt8] { store?.orders ?? [] }
    public var count: Int { store?.count ?? 0 }
    public var pages: Int { store?.pages ?? 0 }

    /// The store without a retain and release around each use: `self` owns it for the call.
    /// Only after an append: a removal from blocks never held is a caller's bug.
    @inline(__always) private func withStore<R>(_ body: (HeldStore) -> R) -> R {
        debugCheck(store != nil, "a block removed from a HeldBlocks that never held one")
        return Unmanaged.passUnretained(store.unsafelyUnwrapped)._withUnsafeGuaranteedRef(body)
    }

    /// Holds block `r` of `order`; an LRU folio that is not `pinned` becomes movable.
    public mutating func append(_ r: PageRef, order: Int, _ m: Machine, pinned: Bool = false) {
        let pfn = m.pfn(of: r)
        hold(r, order: order, pfn: pfn, m, pinned: pinned, onLRU: m.lru.onLRUOrIsolated(pfn),
             lruFolio: m.isFreeLRUFolio(pfn, owner: m.lru.owner[pfn]))
    }

    /// `append` of a block just allocated as `kind`: finishAlloc put an LRU kind on its list, and
    /// no file or anon area owns a new folio, so neither its flags nor its owner are read.
    /// Reading them waited on the lines the LRU add had just written, a miss on every fault.
    mutating func appendNew(_ r: PageRef, order: Int, kind: AllocKind, _ m: Machine, pinned: Bool) {
        let pfn = m.pfn(of: r)
        debugCheck(m.isFreeLRUFolio(pfn, owner: m.lru.owner[pfn]) == kind.onLRU, "new \(kind.name) folio \(pfn) has LRU flags \(m.lru.flags[pfn]), owner \(m.lru.owner[pfn])")
        hold(r, order: order, pfn: pfn, m, pinned: pinned, onLRU: kind.onLRU, lruFolio: kind.onLRU)
    }

    /// Holds block `r` at frame `pfn`; `onLRU`: a folio on an LRU or isolated from one;
    /// `lruFolio`: one of those that no file or anon area owns.
    @inline(__always) private mutating func hold(_ r: PageRef, order: Int, pfn: Int, _ m: Machine, pinned: Bool, onLRU: Bool, lruFolio: Bool) {
        if store == nil { store = HeldStore() }
        withStore { s in
            let slot = s.count
            s.append(HeldEntry(r, order: order, lruFolio: onLRU))
            s.pages += 1 << order
            if s.exactBelow == slot { s.exactBelow = slot &+ 1 }
            guard lruFolio else { return }
            if pinned {
                s.holdsUnadopted = true
                m.lru.owner[pfn] = 0
                return
            }
            s.adopt(pfn: pfn, slot: slot, m)
        }
    }

    /// Removes entry `i` by moving the last one into its place (its folio's slot follows), for
    /// a free: the block's lines are asked for at once.
    public mutating func swapRemove(_ i: Int) -> (PageRef, Int) {
        withStore { s in
            let e = s.take(i, freeing: true)
            return (e.ref, Int(e.order))
        }
    }

    public mutating func removeLast() -> (PageRef, Int) { swapRemove(count - 1) }

    /// Moves the last block of `other` here, as `removeLast` and `append` would, but without
    /// asking for the lines of a free that does not come, and without touching its folio's
    /// owner words where `resolveHeldOwners` can write them later.
    mutating func moveLast(from other: inout HeldBlocks, _ m: Machine) {
        if store == nil { store = HeldStore() }
        let src = Unmanaged.passUnretained(other.store.unsafelyUnwrapped)
        withStore { $0.moveLast(from: src, m) }
    }

    /// Moves every block of `other` here, last first.
    mutating func absorb(_ other: inout HeldBlocks, _ m: Machine) {
        guard other.count > 0 else { return }
        if store == nil { store = HeldStore() }
        let src = Unmanaged.passUnretained(other.store.unsafelyUnwrapped)
        if withStore({ $0.absorbLazily(src, m) }) { return }
        while other.count > 0 { moveLast(from: &other, m) }
    }

    /// Entry `i` (in bounds), read for a prediction.
    @inline(__always) func entry(_ i: Int) -> HeldEntry {
        withStore { $0[i] }
    }

    /// Entry `i` wanted soon (a removal at a random slot predicted steps ahead).
    @inline(__always) func prefetch(_ i: Int) {
        guard let store, i < store.count else { return }
        store.prefetch(i)
    }
}

/// One held block in one word (the zone in bits 0-15, the order in 16-23, `lruFolio` in bit
/// 24, the page index in 32-63), so that a removal at a random slot misses one cache line, not
/// one in each of two arrays, and a move between holders copies one word rather than three
/// fields.
struct HeldEntry: BitwiseCopyable {
    private var bits: UInt64
    @inline(__always) init(_ r: PageRef, order: Int, lruFolio: Bool) {
        bits = UInt64(r.zone) | UInt64(UInt8(truncatingIfNeeded: order)) << 16 | (lruFolio ? 1 << 24 : 0) | UInt64(r.index) << 32
    }
    @inline(__always) var zone: UInt16 { UInt16(truncatingIfNeeded: bits) }
    @inline(__always) var order: UInt8 { UInt8(truncatingIfNeeded: bits >> 16) }
    @inline(__always) var index: UInt32 { UInt32(truncatingIfNeeded: bits >> 32) }
    @inline(__always) var ref: PageRef { PageRef(zone: Int(zone), index: Int(index)) }
    /// The folio was on an LRU, or isolated from one, when held. Without it the folio has no
    /// LRU flags and its owner word carries no holder's tag (only LRU folios are adopted), so
    /// nothing reads its LRU lines. Never saved: a restore sets it on every block, and the
    /// machine works it out again for its registered stores (`noteRestoredHeldStores`); any
    /// other store holds no movable folio, and the mark only costs it those reads.
    @inline(__always) var lruFolio: Bool { bits & 1 << 24 != 0 }
    /// The same block at another place (a migrated folio), still an LRU folio.
    @inline(__always) func moved(to r: PageRef) -> HeldEntry { HeldEntry(r, order: Int(order), lruFolio: true) }
    /// What a buffer's slots past the last entry hold.
    static let unused = HeldEntry(PageRef(zone: 0, index: 0), order: 0, lruFolio: false)
}

/// A HeldBlocks' entries, shared with the machine that moves its folios. The fields are read
/// and written on every operation of a workload, so they skip the dynamic exclusivity checks
/// (the store is only ever used from the simulation thread).
final class HeldStore {
    /// The LRU owner field of a held folio: this bit, and the store's number in the machine.
    /// Page cache owners (file id + 1) and anon areas' (`Machine.anonOwnerBit`) stay below it.
    static let tag: UInt32 = 1 << 31
    /// The entries, in a buffer this store owns and doubles when full: an append or a removal
    /// at a random slot is a plain load or store, with no array uniqueness check or retain.
    @exclusivity(unchecked) private var buffer = FixedArray<HeldEntry>(repeating: HeldEntry.unused, count: 16)
    @exclusivity(unchecked) var count = 0
    @exclusivity(unchecked) var pages = 0
    /// Slots below this one have the owner words an eager move would have left: a holder's
    /// tag and the slot for every movable folio. Moves append above it without writing them.
    @exclusivity(unchecked) var exactBelow = 0
    /// An LRU folio was held here pinned (untagged): a move from here must read each folio's
    /// owner, since the receiver adopts such a folio and a lazy move could not tell.
    @exclusivity(unchecked) var holdsUnadopted = false
    /// Its number in `Machine.heldStores` (-1: no movable folio held yet).
    @exclusivity(unchecked) var id = -1
    /// The machine it is registered with, unretained (the machine owns its stores).
    @exclusivity(unchecked) var machine: Unmanaged<Machine>?

    @inline(__always) subscript(i: Int) -> HeldEntry {
        get {
            debugCheck(UInt(bitPattern: i) < UInt(bitPattern: count), "held entry \(i) out of 0..<\(count)")
            return buffer[i]
        }
        set {
            debugCheck(UInt(bitPattern: i) < UInt(bitPattern: count), "held entry \(i) out of 0..<\(count)")
            buffer[i] = newValue
        }
    }

    @inline(__always) func prefetch(_ i: Int) { buffer.prefetch(i) }

    /// Takes entry `i` out, the last one moving into its place: the moved folio's slot
    /// follows, and the taken folio no longer names this store. `freeing`: the block is about
    /// to be freed, so its lines are asked for first.
    /// Any tagged owner word is this store's (a folio has one holder), written or not; only
    /// an LRU folio's can be tagged.
    @inline(__always) func take(_ i: Int, freeing: Bool) -> HeldEntry {
        let e = self[i], last = count - 1
        if i != last { self[i] = self[last] }
        count = last
        if exactBelow > last { exactBelow = last }
        pages -= 1 << Int(e.order)
        machine?._withUnsafeGuaranteedRef { m in
            if freeing { m.prefetchFree(e.ref, lruFolio: e.lruFolio) }
            debugCheck(e.lruFolio || m.lru.owner[m.pfn(of: e.ref)] & HeldStore.tag == 0, "held block \(e.ref) without lruFolio carries a holder's tag")
            if i != last && self[i].lruFolio {
                let pfn = m.pfn(of: self[i].ref)
                if m.lru.owner[pfn] & HeldStore.tag != 0 {
                    m.lru.owner[pfn] = ownerTag
                    m.lru.offset[pfn] = UInt32(i)
                }
            }
            // The offset as an eager holder would have left it: the slot it leaves.
            let pfn = m.pfn(of: e.ref)
            if e.lruFolio && m.lru.owner[pfn] & HeldStore.tag != 0 {
                m.lru.owner[pfn] = 0
                m.lru.offset[pfn] = UInt32(i)
            }
        }
        return e
    }

    /// Takes the last entry out, leaving its folio's owner to the caller.
    @inline(__always) func popLast() -> HeldEntry {
        let e = self[count - 1]
        count -= 1
        if exactBelow > count { exactBelow = count }
        pages -= 1 &<< Int(e.order)
        return e
    }

    @inline(__always) func append(_ e: HeldEntry) {
        reserve(1)
        buffer[count] = e
        count += 1
    }

    /// Room for `n` more entries; the growth is out of line, off the append's path.
    @inline(__always) private func reserve(_ n: Int) {
        if count &+ n > buffer.count { grow(toHold: count + n) }
    }

    /// The buffer at least doubled, to hold `n` entries.
    @inline(never) private func grow(toHold n: Int) {
        buffer = buffer.grown(to: max(2 * buffer.count, n), filling: HeldEntry.unused)
    }

    /// Whether blocks of `src` may move here without their owner words: every LRU folio of
    /// the source is tagged and this store has a number for its tag, so `resolveHeldOwners`
    /// can write them if they are ever read.
    @inline(__always) func movesLazily(from src: Unmanaged<HeldStore>) -> Bool {
        id >= 0 && src._withUnsafeGuaranteedRef { $0.id >= 0 && !$0.holdsUnadopted }
    }

    /// `HeldBlocks.absorb` in one copy, last first, where the moves may be lazy.
    func absorbLazily(_ src: Unmanaged<HeldStore>, _ m: Machine) -> Bool {
        guard movesLazily(from: src) else { return false }
        src._withUnsafeGuaranteedRef { s in
            let n = s.count
            reserve(n)
            for k in 0..<n { buffer[count &+ k] = s.buffer[n &- 1 &- k] }
            count += n
            pages += s.pages
            s.count = 0
            s.pages = 0
            s.exactBelow = 0
        }
        m.heldOwnersStale = true
        return true
    }

    /// `HeldBlocks.moveLast`: the last entry of `src` appended here.
    @inline(__always) func moveLast(from src: Unmanaged<HeldStore>, _ m: Machine) {
        if movesLazily(from: src) {
            let e = src._withUnsafeGuaranteedRef { $0.popLast() }
            append(e)
            pages &+= 1 &<< Int(e.order)
            m.heldOwnersStale = true
            return
        }
        // Owner words are read (and written) only where `take` and `append` would touch them:
        // the owners of folios nobody can move mostly lie on zero pages never written.
        let (e, pfn, owner) = src._withUnsafeGuaranteedRef { s in
            let e = s.popLast(), pfn = m.pfn(of: e.ref)
            return (e, pfn, s.id >= 0 ? m.lru.owner[pfn] : nil)
        }
        let slot = count
        append(e)
        pages += 1 &<< Int(e.order)
        if exactBelow == slot { exactBelow = slot &+ 1 }
        let srcTag = src._withUnsafeGuaranteedRef { $0.ownerTag }
        let left = owner == srcTag ? 0 : owner
        if m.isFreeLRUFolio(pfn, owner: left ?? m.lru.owner[pfn]) {
            adopt(pfn: pfn, slot: slot, m)
        } else if owner == srcTag {
            m.lru.owner[pfn] = 0
        }
    }

    /// The LRU owner field of the folios this store holds (once registered).
    @inline(__always) var ownerTag: UInt32 { HeldStore.tag | UInt32(truncatingIfNeeded: id) }

    /// The folio at `pfn`, held at `slot`, becomes movable: its owner names this store.
    @inline(__always) func adopt(pfn: Int, slot: Int, _ m: Machine) {
        if id < 0 { m.register(self) }
        m.lru.owner[pfn] = ownerTag
        m.lru.offset[pfn] = UInt32(slot)
    }

    var refs: [PageRef] { (0..<count).map { buffer[$0].ref } }
    var orders: [UInt8] { (0..<count).map { buffer[$0].order } }

    /// The entries as two arrays, blocks then orders (the state format's layout), and the
    /// page count; the buffer itself is rebuilt from them.
    func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        c.derived(buffer)
        var refs = c.isSaving ? self.refs : [], orders = c.isSaving ? self.orders : []
        try c.sync(&refs)
        try c.sync(&orders)
        try c.sync(&pages)
        guard refs.count == orders.count else { throw CheckpointError("held blocks and their orders do not pair up") }
        try c.checkRefs(refs)
        if !c.isSaving {
            count = 0
            // Every block an LRU folio until the machine says (noteRestoredHeldStores).
            for (r, o) in zip(refs, orders) { append(HeldEntry(r, order: Int(o), lruFolio: true)) }
            // A saved state's owner words were resolved before it was written.
            exactBelow = count
        }
    }
}

extension Machine {
    /// The lines a free of `r` reads first (its page entry, and an LRU folio's flags and LRU
    /// links), requested together so that their misses overlap.
    @inline(__always) func prefetchFree(_ r: PageRef, lruFolio: Bool) {
        withZone(Int(r.zone)) { z in
            let i = Int(r.index), pfn = z.pfn(i)
            z.pages.prefetch(i)
            guard lruFolio else { return }
            lru.flags.prefetch(pfn)
            lru.links.prefetch(pfn)
        }
    }

    /// The lines a free of held block `e` reads once its own have come: its buddy's page entry
    /// and an LRU folio's neighbours' links.
    @inline(__always) func prefetchUnlink(_ e: HeldEntry) {
        withZone(Int(e.zone)) { z in
            let i = Int(e.index), pfn = z.pfn(i)
            let b = i ^ (1 << Int(e.order))
            if b < z.pages.count { z.pages.prefetch(b) }
            guard e.lruFolio && lru.flags[pfn] & FolioFlag.lru != 0 else { return }
            let l = lru.links[pfn]
            if l.next != LRUStore.none { lru.links.prefetch(Int(l.next)) }
            if l.prev != LRUStore.none { lru.links.prefetch(Int(l.prev)) }
        }
    }

    /// An LRU folio (or one isolated from its LRU) that no file and no anon area owns, given
    /// its owner field (read only for an LRU folio): one a holder may make movable.
    @inline(__always) func isFreeLRUFolio(_ pfn: Int, owner: @autoclosure () -> UInt32) -> Bool {
        guard lru.onLRUOrIsolated(pfn) else { return false }
        let o = owner()
        return o == 0 || o & HeldStore.tag != 0
    }

    /// A page cache folio (its LRU owner is a file), not one a workload holds.
    @inline(__always) func isPageCacheFolio(pfn: Int) -> Bool {
        let o = lru.owner[pfn]
        return o != 0 && o & (HeldStore.tag | Machine.anonOwnerBit) == 0
    }

    /// Writes the owner words lazy moves left behind (each held movable folio: its holder's
    /// tag and slot), as eager moves would have; before migration follows them to a slot and
    /// before a state is saved. Each write stands for one skipped move, or fewer.
    func resolveHeldOwners() {
        guard heldOwnersStale else { return }
        heldOwnersStale = false
        for s in heldStores where s.exactBelow < s.count {
            for k in s.exactBelow..<s.count where s[k].lruFolio {
                let pfn = pfn(of: s[k].ref)
                guard lru.owner[pfn] & HeldStore.tag != 0 else { continue }
                lru.owner[pfn] = s.ownerTag
                lru.offset[pfn] = UInt32(k)
            }
            s.exactBelow = s.count
        }
    }

    /// After a restore: which blocks are LRU folios, and which stores hold one untagged
    /// (pinned), which the sticky flag would have said while they were live.
    func noteRestoredHeldStores() {
        for s in heldStores {
            var unadopted = false
            for k in 0..<s.count {
                let e = s[k], pfn = pfn(of: e.ref)
                let onLRU = lru.onLRUOrIsolated(pfn)
                s[k] = HeldEntry(e.ref, order: Int(e.order), lruFolio: onLRU)
                if onLRU && lru.owner[pfn] == 0 { unadopted = true }
            }
            s.holdsUnadopted = unadopted
        }
    }

    func register(_ s: HeldStore) {
        s.id = heldStores.count
        s.machine = Unmanaged.passUnretained(self)
        heldStores.append(s)
    }

    /// A held folio moved: its holder's slot now names the new frame (the rmap walk's remap).
    func heldFolioMoved(pfn: Int, to ref: PageRef) {
        let o = lru.owner[pfn]
        guard o & HeldStore.tag != 0 else { return }
        let s = heldStores[Int(o & ~HeldStore.tag)], k = Int(lru.offset[pfn])
        s[k] = s[k].moved(to: ref)
    }
}

extension Machine {
    /// The registered stores' entries. A restore rebuilds the list with the saved numbering
    /// (the LRU owner tags name stores by number); each workload's `HeldBlocks` then picks up
    /// its store by number.
    func checkpointHeldStores(_ c: Checkpoint) throws(CheckpointError) {
        var n = heldStores.count
        try c.sync(&n)
        if !c.isSaving {
            guard n >= 0, n <= 1 << 24 else { throw CheckpointError("\(n) held-block stores") }
            heldStores = []
        }
        for i in 0..<n {
            // Made as its bytes come up: a damaged count ends at the state's end.
            if !c.isSaving {
                let s = HeldStore()
                s.id = i
                s.machine = Unmanaged.passUnretained(self)
                heldStores.append(s)
            }
            try heldStores[i].checkpoint(c)
        }
    }
}

extension HeldBlocks: CheckpointableValue {
    /// A registered store is saved with the machine (by number); an unregistered one here.
    public mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        var id = store.map { $0.id } ?? -2
        try c.sync(&id)
        if !c.isSaving {
            switch id {
            case -2: store = nil
            case -1: store = HeldStore()
            default:
                guard let m = c.restoredMachine, id >= 0, id < m.heldStores.count else {
                    throw CheckpointError("held blocks name store \(id), which the machine lacks")
                }
                store = m.heldStores[id]
            }
        }
        guard let s = store, s.id < 0 else { return }
        try s.checkpoint(c)
    }
}

/// Field by field, not as its bytes: the two bytes of padding between them would save
/// whatever the stack held, and the same machine would not save the same bytes.
extension PageRef: CheckpointValue {
    public func write(to c: Checkpoint) {
        zone.write(to: c)
        index.write(to: c)
    }
    public static func read(from c: Checkpoint) throws(CheckpointError) -> PageRef {
        let zone = try UInt16.read(from: c)
        return PageRef(zone: Int(zone), index: Int(try UInt32.read(from: c)))
    }
}
