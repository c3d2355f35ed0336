import PCPModel

/// /proc/vmstat (vmstat_start/vmstat_show, 6.18): zone, NUMA and node counters, the dirty
/// limits and memmap counts, the VM events, then the constant `nr_unstable 0`.
public enum Vmstat {
    /// The events the model raises, by their /proc name. Every other event prints 0.
    static let modelledEvents: [String: VMEvent] = [
        "pgalloc_dma": .pgallocDMA, "pgalloc_dma32": .pgallocDMA32, "pgalloc_normal": .pgallocNormal,
        "pgalloc_movable": .pgallocMovable, "pgalloc_device": .pgallocDevice, "pgfree": .pgfree,
        "pgfault": .pgfault, "drop_pagecache": .dropPagecache, "drop_slab": .dropSlab,
        "thp_fault_alloc": .thpFaultAlloc, "thp_fault_fallback": .thpFaultFallback,
        "pgscan_kswapd": .pgscanKswapd, "pgscan_direct": .pgscanDirect,
        "pgsteal_kswapd": .pgstealKswapd, "pgsteal_direct": .pgstealDirect,
        "allocstall_dma": .allocstallDMA, "allocstall_dma32": .allocstallDMA32, "allocstall_normal": .allocstallNormal,
        "allocstall_movable": .allocstallMovable, "allocstall_device": .allocstallDevice,
        "pageoutrun": .pageoutrun, "kswapd_low_wmark_hit_quickly": .kswapdLowWmarkHitQuickly,
        "kswapd_high_wmark_hit_quickly": .kswapdHighWmarkHitQuickly,
        "pgactivate": .pgactivate, "pgdeactivate": .pgdeactivate, "pgrefill": .pgrefill,
        "pgpgin": .pgpginKB, "pgmajfault": .pgmajfault, "oom_kill": .oomKill,
        "pgscan_file": .pgscanFile, "pgscan_anon": .pgscanAnon, "pgsteal_file": .pgstealFile, "pgsteal_anon": .pgstealAnon,
        "pswpin": .pswpin, "pswpout": .pswpout,
    ].merging(compactionEvents) { a, _ in a }
    /// Compaction and migration (mm/compaction.c, mm/migrate.c).
    static let compactionEvents: [String: VMEvent] = [
        "pgmigrate_success": .pgmigrateSuccess, "pgmigrate_fail": .pgmigrateFail,
        "compact_migrate_scanned": .compactMigrateScanned, "compact_free_scanned": .compactFreeScanned,
        "compact_isolated": .compactIsolated, "compact_stall": .compactStall, "compact_fail": .compactFail,
        "compact_success": .compactSuccess, "compact_daemon_wake": .compactDaemonWake,
        "compact_daemon_migrate_scanned": .compactDaemonMigrateScanned, "compact_daemon_free_scanned": .compactDaemonFreeScanned,
    ]
    static let eventIndex: [VMEvent?] = Names.events.map { modelledEvents[$0] }

    public static func render(_ s: Snapshot) -> String {
        var out = ""
        out.reserveCapacity(6000)
        let zoneTotals = (0..<ZoneStat.count).map { i in s.zones.reduce(0) { $0 + $1.vmStat[i] } }
        for (i, name) in Names.zoneStats.enumerated() { line(&out, name, zoneTotals[i]) }
        for (i, name) in Names.numaEvents.enumerated() { line(&out, name, s.zones.reduce(0) { $0 + $1.numa[i] }) }
        let nodeTotals = (0..<NodeStat.count).map { i in s.nodes.reduce(0) { $0 + $1.stat[i] } }
        for (i, name) in Names.nodeStats.enumerated() {
            line(&out, name, Zoneinfo.thpItems.contains(i) ? nodeTotals[i] / (1 << K.hpagePMDOrder) : nodeTotals[i])
        }
        let (thresh, bg) = dirtyLimits(s, freePages: zoneTotals[ZoneStat.nrFreePages.rawValue], node: nodeTotals)
        line(&out, "nr_dirty_threshold", thresh)
        line(&out, "nr_dirty_background_threshold", bg)
        line(&out, "nr_memmap_pages", 0)
        line(&out, "nr_memmap_boot_pages", memmapBootPages(s))
        for (i, name) in Names.events.enumerated() {
            line(&out, name, eventIndex[i].map { s.event($0) } ?? 0)
        }
        out += "nr_unstable 0\n"
        return out
    }

    @inline(__always) static func line(_ out: inout String, _ name: String, _ v: Int) {
        out += name
        out += " "
        out += String(v)
        out += "\n"
    }

    /// global_dirty_limits() → domain_dirty_limits(): dirty_bytes or dirty_ratio (and the
    /// background pair) over global_dirtyable_memory(), the ratios in per-page units; a
    /// background threshold at or above the threshold becomes half of it.
    static func dirtyLimits(_ s: Snapshot, freePages: Int, node: [Int]) -> (Int, Int) {
        var available = freePages - min(freePages, s.totalreservePages)
        available += node[NodeStat.nrInactiveFile.rawValue] + node[NodeStat.nrActiveFile.rawValue]
        available += 1
        func knob(_ name: String, _ initial: Int) -> Int { s.knobs.accepted[name].map { Int(clamping: $0) } ?? initial }
        func limit(bytes: Int, ratio: Int) -> Int {
            bytes != 0 ? bytes / K.pageSize + (bytes % K.pageSize != 0 ? 1 : 0) : ratio * K.pageSize / 100 * available / K.pageSize
        }
        let thresh = limit(bytes: knob("dirty_bytes", 0), ratio: knob("dirty_ratio", 20))
        var bg = limit(bytes: knob("dirty_background_bytes", 0), ratio: knob("dirty_background_ratio", 10))
        if bg >= thresh { bg = thresh / 2 }
        return (thresh, bg)
    }

    /// Boot memmap pages: 64 bytes of struct page for every page of each present 128 MiB section.
    static func memmapBootPages(_ s: Snapshot) -> Int {
        s.nodes.indices.reduce(0) { sum, nid in
            let present = s.zones(ofNode: nid).reduce(0) { $0 + $1.geometry.present }
            return sum + (present + 32767) / 32768 * 32768 * 64 / K.pageSize
        }
    }
}
