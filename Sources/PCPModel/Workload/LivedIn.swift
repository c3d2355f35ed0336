/// `lived-in`: a server's uptime (issue #9 item 6), run through the ordinary paths so the state it
/// leaves is one the model reached itself. Every CPU alternates events with think time:
/// - reads of a file set twice the size of memory, hot files chosen far more often (so they are
///   re-read and activated) and each read a readahead window of small folios, or order-9 folios
///   for some of the large files (`huge`); the page cache fills memory and kswapd then holds it near the
///   watermarks;
/// - long-lived processes (daemons, databases) whose anonymous memory and page tables are
///   faulted in first and kept; compaction may migrate their pages (`AnonRegion` follows them);
/// - short-lived processes (stack, PGD, page tables, anon) that start and exit;
/// - unmovable slab (orders 0-3) churning around a target, and reclaimable slab (inodes,
///   dentries, xarray nodes: orders 0, 2, 3) growing with the pages read in and shrunk in
///   proportion to the page cache reclaim scans, as shrink_slab() does (the model has no
///   shrinkers, so the workload frees them); both are allocated while memory is full, so they
///   fall back into movable pageblocks, steal and boost the watermarks.
/// The event rate scales with memory: the page cache reads `turnover` seconds' worth of memory.
public struct LivedIn: Workload {
    public let name = "lived-in"
    /// Per file: its page-cache id, size in pages and largest readahead folio order.
    let files: [(id: Int, pages: Int, order: Int)]
    let resident: AnonRegion
    let anonTarget: Int, slabTarget: Int, procPages: Int
    var residentTables = HeldBlocks()
    var slab = HeldBlocks()
    /// Reclaimable slab, and the pages read in since its last growth.
    var caches = HeldBlocks()
    var readIn = 0
    let pagesPerCacheSlab: Int
    /// pgscan already answered by the shrinker, and its remainder (page x LRU pages).
    var scannedSeen = 0, shrinkDebt = 0
    var procs: [ProcessMemory]
    var exiting: [Bool]
    /// Per CPU: the file being read (-1: none) and the next page offset.
    var reading: [Int], cursor: [Int]
    /// Per CPU: the think time owed after the last event.
    var owed: [Bool]
    let gapNs: Int64

    /// Pages a readahead window reads at most (read_ahead_kb = 128).
    static let windowPages = 32
    /// Pages a fault batch takes.
    static let batch = 64
    /// Pages an event moves on average, for the event rate.
    static let pagesPerEvent = 40.0

    /// `turnover`: simulated seconds in which the page cache reads as much as memory holds;
    /// `anon`, `slab`: percent of managed memory held by long-lived processes and by unmovable
    /// slab; `dcache`: pages read in per page of reclaimable slab; `huge`: percent of the files
    /// of 2 MiB or more read in order-9 folios.
    public init(_ m: Machine, turnoverSeconds: Int = 100, anonPercent: Int = 20, slabPercent: Int = 2, dcache: Int = 16, hugePercent: Int = 50,
                seed: UInt64 = 1) {
        let managed = m.zones.reduce(0) { $0 + $1.managed }
        var rng = SplitMix64(seed: seed ^ 0x11FE_D1E5)
        var files: [(id: Int, pages: Int, order: Int)] = []
        var total = 0
        while total < 2 * managed {
            // About log-uniform sizes from one page to 64 MiB.
            let e = rng.below(15), pages = (1 << e) + rng.below(1 << e)
            var order = min(5, LivedIn.log2(pages))
            if pages >= K.pageblockNrPages && rng.below(100) < hugePercent { order = K.hpagePMDOrder }
            files.append((m.createFile(pages: pages), pages, order))
            total += pages
        }
        self.files = files
        resident = AnonRegion(m)
        resident.previous = m.mover
        m.mover = resident
        anonTarget = managed * anonPercent / 100
        slabTarget = managed * slabPercent / 100
        pagesPerCacheSlab = max(1, dcache)
        procPages = max(16, min(256, managed / 64 / max(1, m.nrCPUs)))
        procs = Array(repeating: ProcessMemory(), count: m.nrCPUs)
        exiting = Array(repeating: false, count: m.nrCPUs)
        reading = Array(repeating: -1, count: m.nrCPUs)
        cursor = Array(repeating: 0, count: m.nrCPUs)
        owed = Array(repeating: false, count: m.nrCPUs)
        let eventsPerSecond = Double(managed) / Double(max(1, turnoverSeconds)) / LivedIn.pagesPerEvent
        gapNs = Int64(min(1e12, Double(m.nrCPUs) * 1e9 / max(eventsPerSecond, 1e-3)))
    }

    static func log2(_ n: Int) -> Int { Int.bitWidth - 1 - n.leadingZeroBitCount }

    public mutating func step(_ m: Machine, cpu c: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation {
        if owed[c] {
            owed[c] = false
            return .sleep(c, ns: gapNs / 2 + Int64(rng.below(Int(max(1, gapNs)))))
        }
        owed[c] = true
        if let op = try shrinkCaches(m, cpu: c, &rng) { return op }
        let r = rng.below(1000)
        if resident.slots.count + residentTables.pages < anonTarget && r < 400 { return residentFault(m, cpu: c) }
        if r < 50 { return try slabEvent(m, cpu: c, &rng) }
        if r < 120 { return try processEvent(m, cpu: c) }
        return read(m, cpu: c, &rng)
    }

    /// A long-lived process faults in a batch of pages (fault-around, a heap growing): a
    /// page-table page every 512 anonymous pages.
    mutating func residentFault(_ m: Machine, cpu: Int) -> Operation {
        var op = Operation.idle(cpu)
        for _ in 0..<LivedIn.batch {
            if resident.slots.count % K.pageblockNrPages == 0 && residentTables.count * K.pageblockNrPages <= resident.slots.count {
                op = m.allocOp(cpu: cpu, order: 0, kind: .pageTable, into: &residentTables)
                if op.kind == .allocFailed { return op }
            }
            guard let r = m.allocPages(cpu: cpu, order: 0, kind: .anon) else { return Operation(kind: .allocFailed, cpu: cpu, order: 0, pfn: -1) }
            resident.add(r)
            op = Operation(kind: .alloc, cpu: cpu, order: 0, pfn: m.pfn(of: r))
        }
        return op
    }

    /// Unmovable slab grows to its target, then churns around it: slabs freed at random, new
    /// ones of order 0-3 (kmalloc-8k uses order-3 slabs).
    mutating func slabEvent(_ m: Machine, cpu: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation {
        var op = Operation.idle(cpu)
        for _ in 0..<(LivedIn.batch / 4) {
            if slab.pages >= slabTarget || (slab.count > 0 && slab.pages * 10 >= slabTarget * 9 && rng.below(2) == 0) {
                let (p, o) = slab.swapRemove(rng.below(slab.count))
                op = try m.freeOp(cpu: cpu, p, order: o)
                continue
            }
            let x = rng.below(20)
            op = m.allocOp(cpu: cpu, order: x < 14 ? 0 : x < 17 ? 1 : x < 19 ? 2 : 3, kind: .slabUnreclaimable, into: &slab)
            if op.kind == .allocFailed { break }
        }
        return op
    }

    /// Reclaimable slab for the pages read in: dentries (order 0), xarray nodes (order 2),
    /// inodes (order 3).
    mutating func growCaches(_ m: Machine, cpu: Int, _ rng: inout SplitMix64) {
        while readIn >= pagesPerCacheSlab {
            let x = rng.below(10), order = x < 4 ? 0 : x < 7 ? 2 : 3
            readIn -= pagesPerCacheSlab << order
            if m.allocOp(cpu: cpu, order: order, kind: .slabReclaimable, into: &caches).kind == .allocFailed { readIn = 0 }
        }
    }

    /// The shrinkers' share of reclaim, done by the workload (the model has no shrink_slab()):
    /// reclaimable slab freed in proportion to the LRU pages scanned since the last look
    /// (freeable x scanned / LRU pages), slabs picked at random.
    mutating func shrinkCaches(_ m: Machine, cpu: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation? {
        let scanned = m.event(.pgscanKswapd) + m.event(.pgscanDirect)
        guard scanned > scannedSeen else { return nil }
        var lruPages = 0
        for nid in 0..<m.nrNodes { for l in LRUList.evictable { lruPages += m.lruPages(nid: nid, l) } }
        shrinkDebt += caches.pages * (scanned - scannedSeen)
        scannedSeen = scanned
        var op: Operation?
        while caches.count > 0 && shrinkDebt >= max(1, lruPages) {
            let (p, o) = caches.swapRemove(rng.below(caches.count))
            shrinkDebt -= max(1, lruPages) << o
            op = try m.freeOp(cpu: cpu, p, order: o)
        }
        if caches.count == 0 { shrinkDebt = 0 }
        return op
    }

    /// A short-lived process: it starts and faults `procPages` pages a batch at a time, then
    /// exits (exit_mmap frees it all in one event).
    mutating func processEvent(_ m: Machine, cpu: Int) throws(FreeError) -> Operation {
        var op = Operation.idle(cpu)
        if exiting[cpu] {
            while let o = try procs[cpu].exitStep(m, cpu: cpu) { op = o }
            exiting[cpu] = false
            return op
        }
        for _ in 0..<3 where !procs[cpu].started { op = try procs[cpu].start(m, cpu: cpu) }
        guard procs[cpu].started else { return op }
        for _ in 0..<LivedIn.batch {
            op = procs[cpu].fault(m, cpu: cpu)
            if procs[cpu].pages >= procPages || op.kind == .allocFailed { exiting[cpu] = true; break }
        }
        return op
    }

    /// One read() of a readahead window of the CPU's current file (a new file, hot ones far
    /// likelier, when the last is done): cached folios are marked accessed, missing ones read in.
    mutating func read(_ m: Machine, cpu: Int, _ rng: inout SplitMix64) -> Operation {
        if reading[cpu] < 0 {
            let u = Double(rng.below(1 << 20)) / Double(1 << 20)
            reading[cpu] = min(files.count - 1, Int(Double(files.count) * u * u * u))
            cursor[cpu] = 0
        }
        let f = files[reading[cpu]]
        let end = min(f.pages, cursor[cpu] + max(LivedIn.windowPages, 1 << f.order))
        var at = cursor[cpu], op = Operation(kind: .idle, cpu: cpu, order: 0, pfn: -1)
        while at < end {
            switch m.fileAccess(cpu: cpu, file: f.id, offset: at, order: f.order) {
            case .hit:
                let slot = m.pageCache.files[f.id].slots[at]
                let head = Int(slot) - 1
                at = head >= 0 ? Int(m.lru.offset[head]) + m.lru.nrPages(head) : at + 1
            case let .miss(o, pfn):
                at = (at & ~((1 << o) - 1)) + (1 << o)
                readIn += 1 << o
                op = Operation(kind: .alloc, cpu: cpu, order: o, pfn: pfn)
            case .failed:
                reading[cpu] = -1
                return Operation(kind: .allocFailed, cpu: cpu, order: 0, pfn: -1)
            }
        }
        cursor[cpu] = at
        if at >= f.pages { reading[cpu] = -1 }
        growCaches(m, cpu: cpu, &rng)
        return op
    }

    /// The end of the uptime: short-lived processes exit (their pages would otherwise stay
    /// allocated to nobody, pinned). Long-lived memory, slab and the page cache stay.
    public mutating func settle(_ m: Machine) throws(FreeError) {
        for c in 0..<procs.count {
            while try procs[c].exitStep(m, cpu: c) != nil {}
            while procs[c].deadStack.count > 0 {
                let (r, o) = procs[c].deadStack.removeLast()
                try m.freePages(cpu: c, r, order: o)
            }
        }
    }
}

/// Aging a booted machine: `--age` (issue #9 item 6).
extension Machine {
    /// Runs the `lived-in` workload for `seconds` of simulated time on its own engine, then lets
    /// the short-lived processes exit. The machine keeps the page cache, the long-lived processes'
    /// memory, the slab, the fragmentation and the counters; its clock is `seconds` later.
    public func age(seconds: Double, seed: UInt64, cost: CostModel = CostModel()) throws(Engine.Failure) {
        guard seconds > 0 else { return }
        var lived = LivedIn(self, seed: seed)
        let engine = Engine(machine: self, seed: seed ^ 0xA6ED_5EED, cost: cost)
        try engine.run(&lived, ops: .max, untilNs: engine.nowNs + Int64(seconds * 1e9))
        do { try lived.settle(self) } catch { throw .free(error) }
    }
}
