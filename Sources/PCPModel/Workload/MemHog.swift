/// `memhog`: `procs` processes on the first CPUs, each mapping an anonymous area of `pages`
/// pages that reclaim can swap out (with `--swap`). A process faults its area in, a page-table
/// page every 512 pages, then touches pages at random, `hot` percent of the touches on the
/// first fifth of its area; a touch of a swapped-out page reads it back, taking the device's
/// time. When memory and swap are exhausted the allocator calls the OOM killer: the process
/// with the highest oom_badness() dies, its memory is freed, and a new process takes its CPU.
/// The other CPUs are idle in slices of 100 µs.
struct MemHog: Workload {
    let name = "memhog"
    let pages: Int
    let hotPercent: Int
    let swapInNs: Int64
    let isProc: [Bool]
    /// Per CPU: its process's area (-1: none yet), pages faulted in, page-table pages, the
    /// process's creation number (newest wins a badness tie), and I/O still to wait for.
    var area: [Int]
    var faulted: [Int]
    var tables: [HeldBlocks]
    var pid: [Int]
    var ioPending: [Int64]
    var nextPid = 0
    /// OOM kills so far and the last victim: its CPU and badness.
    var kills = 0
    var lastVictim: (cpu: Int, points: Int)?

    init(_ m: Machine, _ cpus: CPUSet, procs: Int, pages: Int, hotPercent: Int, swapInUs: Int) {
        let p = Set(cpus.cpus.prefix(procs))
        isProc = (0..<m.nrCPUs).map { p.contains($0) }
        self.pages = max(1, pages)
        self.hotPercent = hotPercent
        swapInNs = Int64(swapInUs) * 1000
        area = Array(repeating: -1, count: m.nrCPUs)
        faulted = Array(repeating: 0, count: m.nrCPUs)
        tables = Array(repeating: HeldBlocks(), count: m.nrCPUs)
        pid = Array(repeating: -1, count: m.nrCPUs)
        ioPending = Array(repeating: 0, count: m.nrCPUs)
    }

    mutating func step(_ m: Machine, cpu c: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation {
        guard isProc[c] else { return .sleep(c, ns: 100_000) }
        if ioPending[c] > 0 {
            defer { ioPending[c] = 0 }
            return .io(c, ns: ioPending[c])
        }
        if area[c] < 0 { area[c] = m.createAnonArea(pages: pages) }
        if pid[c] < 0 {
            pid[c] = nextPid
            nextPid += 1
        }
        let offset: Int
        if faulted[c] < pages {
            offset = faulted[c]
            // __pte_alloc(): the first fault in each 2 MiB span needs its page-table page.
            if offset % K.pageblockNrPages == 0 && tables[c].count * K.pageblockNrPages <= offset {
                return m.allocOp(cpu: c, order: 0, kind: .pageTable, into: &tables[c])
            }
        } else {
            let span = rng.below(100) < hotPercent ? max(1, pages / 5) : pages
            offset = rng.below(span)
        }
        switch m.anonAccess(cpu: c, area: area[c], offset: offset) {
        case .hit:
            return .user(c, ns: 100)
        case let .fault(pfn):
            faulted[c] += 1
            return Operation(kind: .alloc, cpu: c, order: 0, pfn: pfn)
        case let .swapIn(pfn):
            ioPending[c] = swapInNs
            return Operation(kind: .alloc, cpu: c, order: 0, pfn: pfn)
        case .failed:
            return Operation(kind: .allocFailed, cpu: c, order: 0, pfn: -1)
        }
    }

    /// select_bad_process() + oom_kill_process() (mm/oom_kill.c, 6.18): the victim has the
    /// highest oom_badness() (rss + swap entries + page-table pages; oom_score_adj 0 for all),
    /// the newest of equals; its exit frees its pages on its CPU through the free path
    /// (exit_mmap -> free_pages_and_swap_cache) and releases its swap entries.
    mutating func oomKill(_ m: Machine, cpu: Int) throws(FreeError) -> Bool {
        var victim = -1, best = -1
        for c in isProc.indices where isProc[c] && area[c] >= 0 && pid[c] >= 0 {
            let points = m.anonResident(area[c]) + m.anonSwapped(area[c]) + tables[c].count
            if points > best || (points == best && pid[c] > pid[victim]) {
                victim = c
                best = points
            }
        }
        guard victim >= 0 else { return false }
        try m.unmapAnonArea(cpu: victim, area: area[victim])
        while tables[victim].count > 0 {
            let (r, o) = tables[victim].removeLast()
            try m.freePages(cpu: victim, r, order: o)
        }
        // The area is reused by the process that replaces the victim.
        faulted[victim] = 0
        pid[victim] = -1
        ioPending[victim] = 0
        kills += 1
        lastVictim = (victim, best)
        return true
    }
}
