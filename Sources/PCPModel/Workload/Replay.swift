/// One allocation or free of a captured kmem trace.
public struct TraceRecord: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case alloc(kind: AllocKind, atomic: Bool)
        case free
        /// vmstat_update ran on the CPU (a capture that traced workqueue_execute_start).
        case tick
    }
    public var cpu: Int
    /// Nanoseconds since the trace's first record.
    public var timeNs: Int64
    public var pfn: Int
    public var order: Int
    public var kind: Kind
    /// A free traced inside an allocation on the same CPU (after its buddy events, before its
    /// mm_page_alloc): an interrupt that came while the allocation held pcp->lock, so
    /// pcp_spin_trylock failed and the page went straight to the buddy.
    public var underPCPLock: Bool
    /// A free the kernel committed to the PCP only after its CPU traced the next free: a folio
    /// batch (free_unref_folios() prepares every folio before committing any).
    public var batched: Bool
    /// An order-0 allocation the kernel served by refilling its list (rmqueue_bulk runs only
    /// on an empty list): whatever the replay's list still holds then left it untraced.
    public var refilled: Bool
    /// An allocation the trace implies but does not show (alloc_pages_bulk()'s).
    public var inferred: Bool
    /// A tick: the pages its decay drained on its CPU (`pfn << 4 | order`, mm_page_pcpu_drain
    /// right after the tick), which show the kernel's count where the replay's may differ.
    public var drains: [Int]
    /// A free: its CPU's next kmem event was mm_page_pcpu_drain (for a batch, after its last
    /// free), so some commit of it took the PCP over high; false: none did.
    public var drainedAfter: Bool
    /// An order-0 allocation of a page the trace last showed drained to the buddy, with no
    /// buddy event since: it came back with no event, so the kernel's list did not pay for it.
    public var returnedUntraced: Bool
    /// An order-0 allocation of a page last traced freed on this other CPU, with no event
    /// between: only that CPU's list can have held it, so that list handed it out.
    public var listCPU: Int?
    public init(cpu: Int, timeNs: Int64, pfn: Int, order: Int, kind: Kind, underPCPLock: Bool = false, batched: Bool = false,
                refilled: Bool = false, inferred: Bool = false, drains: [Int] = [], drainedAfter: Bool = false,
                returnedUntraced: Bool = false, listCPU: Int? = nil) {
        self.cpu = cpu; self.timeNs = timeNs; self.pfn = pfn; self.order = order; self.kind = kind
        self.underPCPLock = underPCPLock; self.batched = batched; self.refilled = refilled; self.inferred = inferred
        self.drains = drains; self.drainedAfter = drainedAfter; self.returnedUntraced = returnedUntraced
        self.listCPU = listCPU
    }
}

/// `trace:FILE`: replays a kernel's mm_page_alloc / mm_page_free events on the CPUs that did
/// them, in the trace's order, with the trace's idle gaps (so decay and counter folding run as
/// they did), up to the capture's end. When the capture traced vmstat_update, each CPU's
/// decay and counter folds run exactly at its traced ticks and the periodic ones stop. A
/// traced pfn maps to the page the simulator hands out for that allocation; a free of a page
/// the trace never showed allocated is counted and skipped.
public struct TraceReplay: Workload {
    public let name = "trace"
    let records: [TraceRecord]
    /// Nanoseconds after the start when the capture ends (idle time after the last record
    /// passes too); nil: at the last record.
    let endNs: Int64?
    let kernelTicks: Bool
    /// The capture traced mm_page_pcpu_drain, so a tick with none after it drained nothing.
    let drainsTraced: Bool
    /// Without traced ticks: when (ns after the start) one of the kernel's vmstat_update ticks
    /// ran, so the periodic ones keep its phase (nil: they keep the machine's).
    public let tickAtNs: Int64?
    var next = 0
    var lastNs: Int64 = 0
    /// The machine's time at the first step: the trace's time 0.
    var origin: Int64?
    var ended = false
    /// Traced pfn -> the simulator's block and its order (a dictionary is fine here: replay is
    /// driven by trace text, not on the model's hot path).
    var live: [Int: (PageRef, Int)] = [:]
    public private(set) var unknownFrees = 0
    /// Of those, frees that gave back a page the import had put in use (the traced machine's
    /// memory from before the capture), in the zone the traced pfn belongs to.
    public private(set) var unknownFreesReplayed = 0
    /// Per zone id and migratetype of the page's pageblock: the imported in-use pages still
    /// available for that.
    var pool: [[[Int]]]? = nil
    /// Per zone id and migratetype: how many of the pool's first pages higher-order frees took
    /// (the pool is in pfn order; order-0 frees take from its end).
    var poolFront: [[Int]] = []
    /// Record index of a free of a page allocated before the capture -> the PCP list it joined.
    let unknownFreeList: [Int: Int]
    /// The record index whose idle gap before it every CPU already spent in quiet_vmstat.
    var quietedBefore = -1
    public private(set) var orderMismatches = 0
    /// Pages the replay's lists still held where the kernel's refill shows its list empty.
    public private(set) var emptiedUntraced = 0
    /// Per CPU: its UNMOVABLE order-0 list refilled in the replay where the kernel's did not.
    var refillsApart: [Bool] = []
    /// Pages a traced tick's decay drain shows gone from the kernel's list, taken untraced.
    public internal(set) var decayTakenUntraced = 0
    /// Per CPU and zone id: the kernel's last decay drain was capped, so its high followed a
    /// count the replay may not have (`takeWhatDecayShowsGone`).
    var decayCapped: [[Bool]] = []
    /// Per CPU and zone id: the order-0 list the import put the pages of zoneinfo's count that no
    /// traced event names on (-1: none), where untraced allocations take from first.
    public var unnamedLists: [[Int]] = []
    /// How many pages those were, and how many of them untraced allocations took.
    public var unnamedPages: [[Int]] = []
    var unnamedTaken: [[Int]] = []
    /// Each order-0 list against the kernel's first refill of it (`watchListStart`).
    var listWatch: [ListKey: ListWatch] = [:]
    /// Lists the replay refilled before the kernel's first refill: by how many pages the
    /// kernel's started longer.
    public internal(set) var listShortfalls: [ListKey: Int] = [:]
    /// Lists to start longer by that many pages (a second replay's input).
    public var listStartLonger: [ListKey: Int] = [:]
    /// The pages each of those got.
    public internal(set) var listStartMoved: [ListKey: Int] = [:]
    public private(set) var failedAllocs = 0
    /// Per CPU: the batched frees (record indices) not committed yet.
    var pending: [[Int]] = []
    /// Per CPU and zone id: pages its lists lost with no event that the other inferences do not
    /// place, as the zoneinfo read after the capture shows (empty: unknown). Taken where a free
    /// the kernel did not drain after would take the replay's list over high.
    public var freePathBudget: [[Int]] = []
    /// Pages taken from that budget.
    public private(set) var freePathTakenUntraced = 0
    /// Per zone id: of the pages taken untraced (`takeUntraced`), how many go to the free lists
    /// rather than to a caller, as the zoneinfo read after the capture shows the kernel's free
    /// lists gained that many more with no event than the replay's (empty: unknown).
    public var toBuddyBudget: [Int] = []
    /// Pages that budget sent to the free lists.
    public internal(set) var toBuddyTaken = 0
    /// Per CPU and zone id: pages its lists lost with no event that no inference of an earlier
    /// replay placed, as the zoneinfo read after the capture shows (empty: none). Taken at the
    /// CPU's last tick whose drain places its high within 8 pages, as low as that allows; else
    /// before its last tick where that one's decay drain was capped (its high follows count);
    /// else after the last record (`takeLate`).
    public var lateBudget: [[Int]] = []
    /// Pages taken from that budget in each of those three places.
    public internal(set) var lateTakenPlacingHigh = 0, lateTakenAtTick = 0, lateTakenAtEnd = 0
    /// Per CPU and zone id: pages moved from the buddy to a list for allocations marked
    /// `returnedUntraced`.
    public private(set) var returnedUntraced: [[Int]] = []
    /// Whether the last step replayed an allocation the kernel made with no mm_page_alloc (an
    /// inferred record), or a free it made with no mm_page_free (a traced pfn allocated again
    /// with no free between): a report tells the events the kernel traced from those it did not.
    public let lastStep = StepMark()

    /// Shared with whoever reads the replay's events as it runs (not saved: one step's).
    public final class StepMark {
        public var inferredAlloc = false, quietFree = false
    }

    public init(records: [TraceRecord], endNs: Int64? = nil, tickAtNs: Int64? = nil, drainsTraced: Bool = false) {
        self.records = records
        self.endNs = endNs
        kernelTicks = records.contains { $0.kind == .tick }
        self.drainsTraced = drainsTraced
        self.tickAtNs = kernelTicks ? nil : tickAtNs
        // A block is known by its pfn and order together.
        unknownFreeList = Self.listOfUnknownFrees(records.map { r in
            let key = r.kind == .tick ? -1 : r.pfn << 4 | r.order
            if case let .alloc(kind, _) = r.kind { return (key, kind.migratetype) } else { return (key, nil) }
        })
    }

    /// Which PCP list each free of a page allocated before the capture joined, as far as the
    /// trace shows it: the kernel frees to the list of the page's pageblock type, and a PCP
    /// hands a page out again only from that list, so the type of the page's next allocation
    /// names it. `events` are (pfn, migratetype) for order-0 allocations and (pfn, nil) for
    /// frees; the result maps an index of `events` to a migratetype, for the frees whose page
    /// the trace allocates again.
    public static func listOfUnknownFrees(_ events: [(pfn: Int, allocType: Int?)]) -> [Int: Int] {
        var unknown: [Int] = []
        var allocated = Set<Int>()
        for (n, e) in events.enumerated() where e.pfn >= 0 {
            if e.allocType != nil { allocated.insert(e.pfn) } else if !allocated.contains(e.pfn) { unknown.append(n) }
        }
        var out: [Int: Int] = [:]
        var nextAlloc: [Int: Int] = [:]
        var u = unknown.count - 1
        for n in events.indices.reversed() {
            let e = events[n]
            if let mt = e.allocType, e.pfn >= 0 { nextAlloc[e.pfn] = mt }
            if u >= 0 && unknown[u] == n {
                if let mt = nextAlloc[e.pfn] { out[n] = mt }
                u -= 1
            }
        }
        return out
    }

    public var done: Bool { next >= records.count && (endNs == nil || ended) }
    public var finished: Bool { done }

    /// A traced free of a page allocated before the capture: an order-0 page the import put in
    /// use in the traced pfn's zone goes back instead, from a pageblock of the type whose PCP
    /// list the kernel's page joined (MOVABLE when the trace does not show it), so the PCP sees
    /// the free the kernel's saw.
    mutating func freeImported(_ m: Machine, _ r: TraceRecord, list: Int) throws(FreeError) -> Operation? {
        guard let pool, let z = m.zoneSpanning(pfn: r.pfn) else { return nil }
        let order = [list] + (0..<MigrateType.count).filter { $0 != list }
        if r.order > 0 {
            // A higher-order block: the first aligned run of imported pages of one block type.
            for mt in order {
                guard let i = importedRun(z, mt: mt, order: r.order) else { continue }
                unknownFreesReplayed += 1
                z.pages.set(i, .allocated, order: r.order)
                for t in (i + 1)..<(i + (1 << r.order)) { z.pages.setTail(t) }
                try m.freePages(cpu: r.cpu, PageRef(zone: z.id, index: i), order: r.order, pcpLockHeld: r.underPCPLock)
                return Operation(kind: .free, cpu: r.cpu, order: r.order, pfn: r.pfn)
            }
            return nil
        }
        guard let mt = order.first(where: { pool[z.id][$0].count > poolFront[z.id][$0] }), let i = self.pool![z.id][mt].popLast() else { return nil }
        unknownFreesReplayed += 1
        try m.freePages(cpu: r.cpu, PageRef(zone: z.id, index: i), order: 0, pcpLockHeld: r.underPCPLock)
        return Operation(kind: .free, cpu: r.cpu, order: 0, pfn: r.pfn)
    }

    /// Takes `1 << order` pages off the front of the pool of (zone, type) that form one aligned
    /// run, skipping the ones before it for good; nil when the pool has none.
    mutating func importedRun(_ z: Zone, mt: Int, order: Int) -> Int? {
        let n = 1 << order
        let list = pool![z.id][mt]
        var f = poolFront[z.id][mt]
        while f + n <= list.count {
            let s = list[f]
            if s % n == 0 && list[f + n - 1] == s + n - 1 && z.blockType(s) == mt {
                poolFront[z.id][mt] = f + n
                return s
            }
            f += 1
        }
        return nil
    }

    /// Every CPU is idle from the last record to `t`: when that is longer than a jiffy, their
    /// ticks stop and each folds its counter deltas (quiet_vmstat), once per gap. A CPU idle
    /// while another works is not seen (the trace does not show when a CPU sleeps).
    mutating func quietIfIdle(_ m: Machine, until t: Int64) {
        guard quietedBefore != next, t - lastNs > 1_000_000_000 / Int64(K.hz) else { return }
        quietedBefore = next
        for cpu in 0..<m.nrCPUs { m.quietVmstat(cpu: cpu) }
    }

    public func actingCPU(asked: Int) -> Int? { next < records.count ? records[next].cpu : nil }
    public var actsOnAskedCPU: Bool { false }

    public mutating func step(_ m: Machine, cpu c: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation {
        guard !done else { return .idle(c) }
        if pool == nil {
            // Before the first replayed allocation: only the import's pages are in the pool.
            pool = m.zones.map { z in
                var byType = [[Int]](repeating: [], count: MigrateType.count)
                for i in m.importedPool(z) { byType[z.blockType(i)].append(i) }
                return byType
            }
            poolFront = m.zones.map { _ in [Int](repeating: 0, count: MigrateType.count) }
        }
        if origin == nil {
            origin = m.now
            if kernelTicks { m.stopPeriodicVmstat() }
            if let t = tickAtNs, m.statInterval > 0 { m.setVmstatPhase(ns: t % m.statInterval) }
            lengthenListStarts(m)
        }
        let elapsed = m.now - origin!
        guard next < records.count else {
            if let cpu = pending.firstIndex(where: { !$0.isEmpty }) { return try commitPending(m, cpu: cpu) }
            takeLate(m, beforeTick: nil)
            // The idle tail after the last record, to the capture's end.
            if let endNs, elapsed < endNs {
                quietIfIdle(m, until: endNs)
                return .wait(c, untilNs: endNs)
            }
            ended = true
            return .idle(c)
        }
        let r = records[next]
        lastStep.inferredAlloc = false
        lastStep.quietFree = false
        if r.cpu >= pending.count { pending += [[Int]](repeating: [], count: r.cpu + 1 - pending.count) }
        if !pending[r.cpu].isEmpty && r.kind != .free { return try commitPending(m, cpu: r.cpu) }
        // Gaps of more than a millisecond pass idle on every CPU first (a wait the engine cuts
        // short, at the end of a mount's tick, is asked for again).
        if r.timeNs - lastNs > 1_000_000 && elapsed < r.timeNs {
            quietIfIdle(m, until: r.timeNs)
            return .wait(c, untilNs: r.timeNs)
        }
        next += 1
        lastNs = r.timeNs
        switch r.kind {
        case .tick:
            takeLate(m, beforeTick: next - 1)
            takeWhatDecayShowsGone(m, tick: next - 1)
            m.vmstatUpdate(cpu: r.cpu)
            return .idle(r.cpu)
        case let .alloc(kind, atomic):
            // Served from another CPU's list: the replay allocates there.
            var r = r
            if let c = r.listCPU { r.cpu = c }
            if r.order == 0 { emptyAtKernelRefill(m, r, mt: kind.migratetype) }
            lastStep.inferredAlloc = r.inferred
            if r.returnedUntraced, let z = m.zoneSpanning(pfn: r.pfn), m.returnToPCPUntraced(cpu: r.cpu, pfn: r.pfn, mt: kind.migratetype) {
                Self.add(1, to: &returnedUntraced, cpu: r.cpu, zone: z.id, m)
            }
            let watched = watchListStart(m, r, mt: kind.migratetype)
            guard let ref = m.allocPages(cpu: r.cpu, order: r.order, kind: kind, atomic: atomic) else {
                failedAllocs += 1
                return Operation(kind: .allocFailed, cpu: r.cpu, order: r.order, pfn: r.pfn)
            }
            if let watched { watchListStart(after: watched, m) }
            if let old = live.updateValue((ref, r.order), forKey: r.pfn) {
                // The trace missed this page's free: give the old block back quietly.
                lastStep.quietFree = true
                try m.freePages(cpu: r.cpu, old.0, order: old.1)
            }
            return Operation(kind: .alloc, cpu: r.cpu, order: r.order, pfn: r.pfn)
        case .free:
            pending[r.cpu].append(next - 1)
            if r.batched { return Operation(kind: .free, cpu: r.cpu, order: r.order, pfn: r.pfn) }
            return try commitPending(m, cpu: r.cpu)
        }
    }

    /// Where the kernel refilled an order-0 UNMOVABLE list, it had run empty: pages the replay's
    /// list still holds went untraced, by alloc_pages_bulk() (vmalloc'd stacks, page pools ask
    /// for UNMOVABLE pages), and are taken now. Only while the replay's list has refilled
    /// exactly where the kernel's did: once it refilled for a traced allocation the kernel
    /// served from its list, its length says nothing of the kernel's.
    mutating func emptyAtKernelRefill(_ m: Machine, _ r: TraceRecord, mt: Int) {
        guard mt == MigrateType.unmovable.rawValue,
              let z = m.zoneSpanning(pfn: r.pfn) else { return }
        if refillsApart.count < m.nrCPUs { refillsApart += [Bool](repeating: false, count: m.nrCPUs - refillsApart.count) }
        guard !refillsApart[r.cpu] else { return }
        if r.refilled {
            emptiedUntraced += m.allocPagesBulk(cpu: r.cpu, pfn: r.pfn, mt: mt)
        } else if !r.inferred && z.pcpListLength(cpu: r.cpu, pindex: orderToPindex(mt, 0)) == 0 {
            refillsApart[r.cpu] = true
        }
    }

    /// Commits a CPU's pending frees in their order, in one step (their drains form one run,
    /// as the kernel's do).
    mutating func commitPending(_ m: Machine, cpu: Int) throws(FreeError) -> Operation {
        var op = Operation.idle(cpu)
        let drained = pending[cpu].last.map { records[$0].drainedAfter } ?? true
        for n in pending[cpu] {
            if !drained { makeRoomWithoutDrain(m, n) }
            op = try free(m, n) ?? op
        }
        pending[cpu].removeAll()
        return op
    }

    /// Before the free of record `n`, which the kernel committed without draining: its count
    /// stayed under high, so where the replay's would reach it, pages the kernel's lists had
    /// lost untraced went before, as many as keep it under, within `freePathBudget`.
    mutating func makeRoomWithoutDrain(_ m: Machine, _ n: Int) {
        let r = records[n]
        guard r.cpu < freePathBudget.count, pcpAllowedOrder(r.order), !r.underPCPLock,
              let z = live[r.pfn].map({ m.zones[Int($0.0.zone)] }) ?? m.zoneSpanning(pfn: r.pfn),
              z.id < freePathBudget[r.cpu].count, freePathBudget[r.cpu][z.id] > 0, !z.belowHigh else { return }
        let p = z.pcp[r.cpu]
        let need = p.count + (1 << r.order) - clamp(p.high, p.highMin, p.highMax) + 1
        guard need > 0 else { return }
        let taken = takeUntraced(m, cpu: r.cpu, z, pages: min(need, freePathBudget[r.cpu][z.id]))
        freePathBudget[r.cpu][z.id] -= taken
        freePathTakenUntraced += taken
    }

    /// The free of record `n`.
    mutating func free(_ m: Machine, _ n: Int) throws(FreeError) -> Operation? {
        let r = records[n]
        guard let (ref, order) = live.removeValue(forKey: r.pfn) else {
            unknownFrees += 1
            return try freeImported(m, r, list: unknownFreeList[n] ?? MigrateType.movable.rawValue)
        }
        if order != r.order { orderMismatches += 1 }
        try m.freePages(cpu: r.cpu, ref, order: order, pcpLockHeld: r.underPCPLock)
        return Operation(kind: .free, cpu: r.cpu, order: order, pfn: r.pfn)
    }
}

extension TraceReplay {
    /// Where the replay is in its records and which traced pfns map to which blocks; the
    /// records themselves are read again from the trace file.
    public mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.check(records.count, "the trace's record count")
        try c.sync(&next)
        try c.sync(&lastNs)
        try c.sync(&origin)
        try c.sync(&ended)
        var pfns = live.keys.sorted()
        var refs = pfns.map { live[$0]!.0 }, orders = pfns.map { live[$0]!.1 }
        try c.sync(&pfns)
        try c.sync(&refs)
        try c.sync(&orders)
        guard pfns.count == refs.count, pfns.count == orders.count, Set(pfns).count == pfns.count else {
            throw CheckpointError("the replay's live blocks do not pair up")
        }
        try c.checkRefs(refs)
        live = Dictionary(uniqueKeysWithValues: pfns.indices.map { (pfns[$0], (refs[$0], orders[$0])) })
        try c.sync(&unknownFrees)
        try c.sync(&unknownFreesReplayed)
        try c.sync(&pool)
        try c.sync(&poolFront)
        try c.sync(&orderMismatches)
        try c.sync(&emptiedUntraced)
        try c.sync(&refillsApart)
        guard refillsApart.count <= MachineSpec.maxCPUs else { throw CheckpointError("\(refillsApart.count) CPUs in the replay's refill state") }
        try c.sync(&decayTakenUntraced)
        try c.sync(&decayCapped)
        try c.sync(&unnamedLists)
        guard decayCapped.count <= MachineSpec.maxCPUs, unnamedLists.count <= MachineSpec.maxCPUs,
              unnamedLists.allSatisfy({ $0.allSatisfy { (-1..<MigrateType.pcpTypes).contains($0) } }) else {
            throw CheckpointError("the replay's decay state names no CPU or list")
        }
        try c.sync(&failedAllocs)
        try c.sync(&pending)
        guard pending.count <= MachineSpec.maxCPUs, pending.allSatisfy({ $0.allSatisfy { records.indices.contains($0) } }) else {
            throw CheckpointError("the replay's pending frees name no record")
        }
    }
}

extension Machine {
    /// Starts a CPU's PCP in one zone where a real machine's zoneinfo had it: `high`, and
    /// `count` pages taken from the buddy. zoneinfo does not say which lists held them; `mt`
    /// chooses the order-0 list they go to.
    public func presetPCP(nid: Int, zone type: ZoneType, cpu: Int, count: Int, high: Int, mt: Int) {
        presetPCP(driver, nid: nid, zone: type, cpu: cpu, count: count, high: high, mt: mt)
    }

    private func presetPCP<P: AllocatorPolicy>(_ p: P, nid: Int, zone type: ZoneType, cpu: Int, count: Int, high: Int, mt: Int) {
        let z = zone(nid: nid, type: type)
        guard z.isPopulated, cpu < nrCPUs else { return }
        z.pcp[cpu].high = high
        let l = z.pcpList(cpu, orderToPindex(mt, 0))
        var n = 0
        // Boot left every free page MOVABLE: the pages come from there, whatever list they join.
        while n < count, let i = z.rmqueueSmallest(order: 0, mt: MigrateType.movable.rawValue, cpu: nil, p) {
            z.enterPCP(cpu, i, order: 0, mt: mt, buddy: false)
            z.lists.addTail(l, i, z.pages)
            n += 1
        }
        z.addPCPCount(cpu, n)
        z.vmStat.fold(cpu: 0)
    }
}

extension Machine {
    /// Sets a CPU's alloc_factor from the size of its first order-0 refill in a capture:
    /// nr_pcp_alloc() asked for batch << alloc_factor. Returns the factor, nil when the size is
    /// no such power (capped by high, or cut short by the buddy): alloc_factor stays as it is.
    @discardableResult
    public func presetAllocFactor(nid: Int, zone type: ZoneType, cpu: Int, firstRefill n: Int) -> Int? {
        let z = zone(nid: nid, type: type)
        guard z.isPopulated, cpu < nrCPUs, z.pcp[cpu].batch > 0,
              let k = (0...K.pcpBatchScaleMax).first(where: { z.pcp[cpu].batch << $0 == n }) else { return nil }
        z.pcp[cpu].allocFactor = k
        return k
    }
}

extension Machine {
    /// Makes a zone as full as a real machine's zoneinfo showed it (`pages free`): the surplus
    /// free memory is taken out as in-use page cache, largest blocks first, so watermark checks
    /// see the same free memory the traced kernel saw.
    public func occupy(nid: Int, zone type: ZoneType, leavingFree target: Int) { occupy(driver, nid: nid, zone: type, leavingFree: target) }

    private func occupy<P: AllocatorPolicy>(_ p: P, nid: Int, zone type: ZoneType, leavingFree target: Int) {
        let z = zone(nid: nid, type: type)
        guard z.isPopulated else { return }
        var o = K.maxOrder
        while z.pageStateExact(.nrFreePages) > target && o >= 0 {
            guard z.pageStateExact(.nrFreePages) - target >= 1 << o,
                  let i = z.rmqueueSmallest(order: o, mt: MigrateType.movable.rawValue, cpu: nil, p) else { o -= 1; continue }
            markImportedInUse(z, i, order: o)
        }
        z.vmStat.fold(cpu: 0)
        nodeStats.fold(cpu: 0)
    }
}

extension Machine {
    /// Spreads a CPU's order-0 PCP pages over the three order-0 lists: zoneinfo's `count` says
    /// how many, a trace of what came next says which lists they were on (`lengths[mt]`, nil for
    /// a list the trace never touches). `count` also covers lists the trace cannot see (other
    /// orders, untouched types), so the rest goes to an untouched list, where it still counts
    /// towards `pcp->high` but does not feed the traced allocations; MOVABLE only if the trace
    /// touches every list. A list the trace used but never refilled (`exact` false) held at
    /// least what it handed out: the rest goes there first (UNMOVABLE before MOVABLE before
    /// RECLAIMABLE), as nothing in the trace bounds it. `higher` lists the entries of the
    /// higher-order lists first: each is an aligned run of imported in-use pages of its type,
    /// and as many order-0 pages go into use in its place, so `count` stays zoneinfo's.
    /// Returns the pages no list of the trace explains and the list they went to, and the
    /// higher-order pages `count` could not cover.
    @discardableResult
    public func redistributePCP(nid: Int, zone type: ZoneType, cpu: Int, lengths: [Int?], exact: [Bool] = [],
                                higher: [(order: Int, mt: Int, entries: Int)] = []) -> (rest: Int, list: Int, short: Int) {
        let z = zone(nid: nid, type: type)
        guard z.isPopulated, cpu < nrCPUs else { return (0, 0, 0) }
        var pool: [Int] = []
        for mt in 0..<MigrateType.pcpTypes {
            let l = z.pcpList(cpu, orderToPindex(mt, 0))
            while !z.lists.isEmpty(l) {
                let i = Int(z.lists.head[l])
                z.lists.remove(l, i, z.pages)
                pool.append(i)
            }
        }
        var short = 0
        for h in higher where h.order > 0 && pcpAllowedOrder(h.order) {
            var cursor = 0
            for _ in 0..<h.entries {
                let n = 1 << h.order
                guard pool.count >= n, let i = nextImportedRun(z, blockType: h.mt, order: h.order, from: &cursor) else { short += n; continue }
                for t in (i + 1)..<(i + n) { z.pages.setTail(t) }
                z.enterPCP(cpu, i, order: h.order, mt: h.mt, buddy: false)
                z.lists.addTail(z.pcpList(cpu, orderToPindex(h.mt, h.order)), i, z.pages)
                for _ in 0..<n {
                    let j = pool.removeLast()
                    z.pages.set(j, .allocated, order: 0)
                    z.pages.setKind(j, AllocKind.kernel.rawValue)
                }
            }
        }
        // A page freed to a PCP joins its pageblock's list: each list takes pages of its own
        // block type, so that what it hands out comes back to it when freed. A pool page of
        // another type trades places with an imported in-use page of the right type (both
        // order 0 in one zone: no count changes).
        var want = (0..<MigrateType.pcpTypes).map { mt in mt < lengths.count ? max(0, lengths[mt] ?? 0) : 0 }
        var cursor = [Int](repeating: 0, count: MigrateType.pcpTypes)
        for mt in 0..<MigrateType.pcpTypes {
            while want[mt] > 0, var i = pool.popLast() {
                if z.blockType(i) != mt, let j = nextImportedPage(z, blockType: mt, from: &cursor[mt]) {
                    z.pages.set(i, .allocated, order: 0)
                    z.pages.setKind(i, AllocKind.kernel.rawValue)
                    i = j
                }
                addImportedPCPPage(z, cpu: cpu, i, mt: mt)
                want[mt] -= 1
            }
        }
        let bounded = [MigrateType.unmovable, .movable, .reclaimable].map(\.rawValue)
            .first { $0 < lengths.count && lengths[$0] != nil && $0 < exact.count && !exact[$0] }
        let untouched = bounded ?? [MigrateType.reclaimable, .unmovable, .movable].map(\.rawValue)
            .first { $0 >= lengths.count || lengths[$0] == nil } ?? MigrateType.movable.rawValue
        for i in pool { addImportedPCPPage(z, cpu: cpu, i, mt: untouched) }
        return (pool.count, untouched, short)
    }

    /// The next aligned run of `1 << order` imported in-use pages in a pageblock of type `mt`,
    /// at or after `cursor`.
    private func nextImportedRun(_ z: Zone, blockType mt: Int, order: Int, from cursor: inout Int) -> Int? {
        let n = 1 << order
        cursor = (cursor + n - 1) & ~(n - 1)
        while cursor + n <= z.pages.count {
            let i = cursor
            cursor += n
            if z.blockType(i) != mt { cursor = max(cursor, (i | (K.pageblockNrPages - 1)) + 1); continue }
            if (i..<(i + n)).allSatisfy({ z.pages.isHead($0, .allocated, order: 0) && z.pages.kind($0) == AllocKind.kernel.rawValue }) { return i }
        }
        return nil
    }

    /// The next imported in-use page at or after `cursor` in a pageblock of type `mt`.
    private func nextImportedPage(_ z: Zone, blockType mt: Int, from cursor: inout Int) -> Int? {
        while cursor < z.pages.count {
            let i = cursor
            cursor += 1
            if z.blockType(i) != mt { cursor = (i | (K.pageblockNrPages - 1)) + 1; continue }
            if z.pages.isHead(i, .allocated, order: 0) && z.pages.kind(i) == AllocKind.kernel.rawValue { return i }
        }
        return nil
    }

    private func addImportedPCPPage(_ z: Zone, cpu: Int, _ i: Int, mt: Int) {
        z.enterPCP(cpu, i, order: 0, mt: mt, buddy: false)
        z.lists.addTail(z.pcpList(cpu, orderToPindex(mt, 0)), i, z.pages)
    }
}

extension Machine {
    /// alloc_pages_bulk_noprof() (mm/page_alloc.c, 6.18) as a replay infers it: up to `limit`
    /// order-0 pages off `cpu`'s PCP list of `mt`, in the zone of the traced `pfn`, with no
    /// mm_page_alloc. The trace shows them gone: the kernel refilled that list (rmqueue_bulk()
    /// refills only an empty one), or a decay drain shows the kernel's count lower (vmalloc'd
    /// stacks, page pools). Returns how many pages it took.
    public func allocPagesBulk(cpu: Int, pfn: Int, mt: Int, limit: Int = .max) -> Int {
        allocPagesBulk(driver, cpu: cpu, pfn: pfn, mt: mt, limit: limit)
    }

    private func allocPagesBulk<P: AllocatorPolicy>(_ p: P, cpu: Int, pfn: Int, mt: Int, limit: Int) -> Int {
        guard cpu >= 0, cpu < nrCPUs, (0..<MigrateType.pcpTypes).contains(mt), let z = zoneSpanning(pfn: pfn),
              p.servesFromPCP(order: 0), z.trylockPCP(cpu) else { return 0 }
        let l = z.pcpList(cpu, orderToPindex(mt, 0))
        let preferred = zonelistIDs[zonelistStart[cpuNode[cpu] * K.nrZoneTypes + AllocKind.kernel.highestZoneIdx]]
        var n = 0
        z.lockPCP(cpu)
        // At most the CPU's count: a design whose PCP serves from elsewhere cannot loop forever.
        // __rmqueue_pcplist() straight, so free_count stays as it was.
        for _ in 0..<min(z.pcp[cpu].count, max(limit, 0)) {
            guard !z.lists.isEmpty(l), let i = p.rmqueuePCP(z, cpu: cpu, order: 0, mt: mt, flags: []) else { break }
            _ = finishAlloc(cpu: cpu, z, i, order: 0, kind: .kernel, atomic: false, traced: false)
            zoneStatistics(preferred: preferred, z, cpu: cpu)
            n += 1
        }
        z.unlockPCP(cpu)
        if n > 0 { p.allocated(z, cpu: cpu, now: now) }
        eventCounters[VMEvent.pgallocDMA.rawValue + z.type.rawValue] += n
        return n
    }
}

extension Machine {
    /// One order-0 page from the buddy onto the head of `cpu`'s list of `mt`, in the zone of the
    /// traced `pfn`, with no event: the kernel allocated from its list a page the trace last
    /// showed drained, so the list had it back untraced and did not pay for that allocation.
    /// False when the buddy has no page of that type.
    public func returnToPCPUntraced(cpu: Int, pfn: Int, mt: Int) -> Bool {
        returnToPCPUntraced(driver, cpu: cpu, pfn: pfn, mt: mt)
    }

    private func returnToPCPUntraced<P: AllocatorPolicy>(_ p: P, cpu: Int, pfn: Int, mt: Int) -> Bool {
        guard cpu >= 0, cpu < nrCPUs, (0..<MigrateType.pcpTypes).contains(mt), let z = zoneSpanning(pfn: pfn),
              p.servesFromPCP(order: 0) else { return false }
        let t = z.tracer
        z.tracer = nil
        defer { z.tracer = t }
        z.lockZone()
        defer { z.unlockZone() }
        guard let i = z.rmqueueSmallest(order: 0, mt: mt, cpu: cpu, p) else { return false }
        z.enterPCP(cpu, i, order: 0, mt: mt, buddy: false)
        z.lists.addHead(z.pcpList(cpu, orderToPindex(mt, 0)), i, z.pages)
        z.addPCPCount(cpu, 1)
        return true
    }
}
