/// enum zone_stat_item of 6.18 (without CONFIG_UNACCEPTED_MEMORY), in /proc order.
public enum ZoneStat: Int, CaseIterable, Sendable {
    case nrFreePages = 0, nrFreePagesBlocks, nrZoneInactiveAnon, nrZoneActiveAnon,
        nrZoneInactiveFile, nrZoneActiveFile, nrZoneUnevictable, nrZoneWritePending, nrMlock,
        nrZspages, nrFreeCMA
    public static let count = allCases.count
}

/// enum numa_stat_item.
public enum NumaEvent: Int, CaseIterable, Sendable {
    case hit = 0, miss, foreign, interleave, local, other
    public static let count = 6
}

/// enum node_stat_item of 6.18, in /proc order. Only the cases named here are touched by the
/// model; the renderer owns the full name list and prints 0 for the rest.
public enum NodeStat: Int, Sendable {
    case nrInactiveAnon = 0, nrActiveAnon = 1, nrInactiveFile = 2, nrActiveFile = 3, nrUnevictable = 4
    case nrSlabReclaimable = 5, nrSlabUnreclaimable = 6
    case nrIsolatedAnon = 7, nrIsolatedFile = 8
    case nrAnonPages = 17, nrFileMapped = 18, nrFilePages = 19, nrFileDirty = 20, nrWriteback = 21
    case nrShmem = 22
    case nrAnonTransparentHugepages = 27
    case nrKernelStackKB = 36, nrPageTablePages = 37
    /// NR_VM_NODE_STAT_ITEMS on 6.18 (the fixture's per-node stats block).
    public static let count = 51
}

/// The VM events the allocator model raises (a subset of vm_event_item; the renderer prints
/// the rest as 0 and the README lists them).
public enum VMEvent: Int, CaseIterable, Sendable {
    case pgallocDMA = 0, pgallocDMA32, pgallocNormal, pgallocMovable, pgallocDevice
    case pgfree
    /// One per anon or THP page a workload faults in (every simulated fault allocates).
    case pgfault
    case dropPagecache, dropSlab
    case thpFaultAlloc, thpFaultFallback
    /// Reclaim (mm/vmscan.c): pages scanned and stolen by kswapd and by direct reclaim.
    case pgscanKswapd, pgscanDirect, pgstealKswapd, pgstealDirect
    /// ALLOCSTALL per zone type (DMA, DMA32, Normal, Movable, Device), counted at reclaim_idx.
    case allocstallDMA, allocstallDMA32, allocstallNormal, allocstallMovable, allocstallDevice
    case pageoutrun, kswapdLowWmarkHitQuickly, kswapdHighWmarkHitQuickly
    case pgactivate, pgdeactivate, pgrefill
    /// Pages read in (pgpgin counts KiB, as submit_bio does for reads).
    case pgpginKB
    case pgmajfault, oomKill
    case pgscanFile, pgscanAnon, pgstealFile, pgstealAnon
    case pgmigrateSuccess, pgmigrateFail, compactMigrateScanned, compactFreeScanned, compactIsolated
    case compactStall, compactFail, compactSuccess, compactDaemonWake, compactDaemonMigrateScanned, compactDaemonFreeScanned
    /// Pages read from and written to the swap device.
    case pswpin, pswpout
    public static let count = allCases.count
}

/// Per-CPU differentials in front of a global counter array, as vm_stat_diff in front of
/// zone->vm_stat: a CPU's delta is folded into the global value only when it passes the
/// stat threshold, or at vmstat_update. So zoneinfo lags the truth exactly as the kernel's does.
/// Noncopyable: owned by its Zone or Machine.
struct DiffCounters: ~Copyable {
    /// The global (folded) values.
    let global: FixedArray<Int>
    /// cpu * items + item
    let diff: FixedArray<Int>
    let items: Int
    let cpus: Int

    /// Whether every per-CPU delta lies within ±`limit`: folding at the threshold keeps them
    /// there, so a restored delta outside is a damaged state.
    func deltasWithin(_ limit: Int) -> Bool {
        for k in diff.indices where diff[k] > limit || diff[k] < -limit { return false }
        return true
    }

    init(items: Int, cpus: Int) {
        self.items = items
        self.cpus = cpus
        global = FixedArray(zeroed: items)
        diff = FixedArray(zeroed: items * cpus)
    }

    /// __mod_zone_page_state / __mod_node_page_state (6.18): fold when |diff| exceeds threshold.
    /// Wrapping arithmetic and one unsigned compare (x is within ±threshold iff x + threshold
    /// lies in 0...2·threshold): an index below items·cpus and a delta near ±threshold never
    /// overflow, and their checks were a third of the fast path's.
    @inline(__always) func mod(_ item: Int, cpu: Int, _ delta: Int, threshold: Int) {
        let k = cpu &* items &+ item
        let x = diff[k] &+ delta
        if UInt(bitPattern: x &+ threshold) > UInt(bitPattern: threshold &<< 1) {
            global[item] &+= x
            diff[k] = 0
        } else {
            diff[k] = x
        }
    }

    /// `times` calls of `mod` with the same nonzero delta, in closed form: the first fold comes
    /// when the CPU's delta passes the threshold, then one every `threshold / |delta| + 1` calls.
    func mod(_ item: Int, cpu: Int, _ delta: Int, threshold t: Int, times: Int) {
        precondition(delta != 0 && times >= 0 && t >= 0)
        let k = cpu * items + item, s = abs(delta), sign = delta < 0 ? -1 : 1
        // Distances counted in the delta's direction.
        let d = diff[k] * sign
        let first = (t - d) / s + 1
        guard times >= first else {
            diff[k] += times * delta
            return
        }
        let period = t / s + 1, rest = times - first
        global[item] += (d + first * s + rest / period * period * s) * sign
        diff[k] = rest % period * delta
    }

    /// The exact value: global plus every CPU's pending delta.
    func exact(_ item: Int) -> Int { exact(from: item, count: 1)[0] }

    /// The exact values of `n` consecutive items from `first` (n ≤ 8), in one pass over the
    /// CPUs' rows instead of one a value: the checker compares several after every operation.
    /// The sums wrap rather than trap (each is a real counter's value, far from Int's bounds).
    func exact(from first: Int, count n: Int) -> InlineArray<8, Int> {
        precondition(n <= 8 && first >= 0 && first + n <= items)
        var v = InlineArray<8, Int>(repeating: 0)
        for j in 0..<n { v[j] = global[first &+ j] }
        for c in 0..<cpus {
            let row = c &* items &+ first
            for j in 0..<n { v[j] &+= diff[row &+ j] }
        }
        return v
    }

    /// refresh_cpu_vm_stats for one CPU: returns whether anything was folded.
    @discardableResult func fold(cpu: Int) -> Bool {
        var any = false
        for i in 0..<items where diff[cpu * items + i] != 0 {
            global[i] += diff[cpu * items + i]
            diff[cpu * items + i] = 0
            any = true
        }
        return any
    }
}
