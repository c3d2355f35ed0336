import PCPModel

/// Every knob pcpsim serves, the kernel's and its own, one line each: path, format, what a
/// read shows, the setter. The mount, `--sysctl`, `--sysctl-file` and `pcpsim shell` all read
/// this table.
public enum KnobTable {
    public static let all: [Knob] = kernel + own + tracing

    /// The 52 entries of 6.18's /proc/sys/vm (fixtures/knobs-6.18/vm-dir.txt), then the sysfs
    /// switch the model obeys. Knobs with a model setter act on the machine; `.accepted` ones
    /// are validated with the kernel's range and stored for read-back ("accepted, no effect").
    static let kernel: [Knob] = [
        .vm("admin_reserve_kbytes", .ulong, { $0.knobs.adminReserveKbytes }, { $0.setAdminReserveKbytes($1) }),
        .vm("compact_memory", mode: 0o200, .int, nil, { try $0.compactMemory($1) }),
        .vm("compact_unevictable_allowed", .int, { $0.knobs.compactUnevictableAllowed }, { try $0.setCompactUnevictableAllowed($1) }),
        .vm("compaction_proactiveness", .int, { $0.knobs.compactionProactiveness }, { try $0.setCompactionProactiveness($1) }),
        .vm("defrag_mode", .int, { $0.knobs.defragMode }, { try $0.setDefragMode($1) }),
        .accepted("dirty_background_bytes", .ulong, 0, 1...UInt64.max, clears: "dirty_background_ratio"),
        .accepted("dirty_background_ratio", .int, 10, 0...100, clears: "dirty_background_bytes"),
        .accepted("dirty_bytes", .ulong, 0, 8192...UInt64.max, clears: "dirty_ratio"),
        .accepted("dirty_expire_centisecs", .int, 3000, 0...Int(Int32.max)),
        .accepted("dirty_ratio", .int, 20, 0...100, clears: "dirty_bytes"),
        .accepted("dirty_writeback_centisecs", .int, 500, Int(Int32.min)...Int(Int32.max)),
        .accepted("dirtytime_expire_seconds", .int, 43200, 0...Int(Int32.max)),
        .vm("drop_caches", mode: 0o200, .int, nil, { try $0.dropCaches($1) }),
        .vm("extfrag_threshold", .int, { $0.knobs.extfragThreshold }, { try $0.setExtfragThreshold($1) }),
        .accepted("hugetlb_optimize_vmemmap", .bool, 0, 0...1),
        .accepted("hugetlb_shm_group", .int, 0, Int(Int32.min)...Int(Int32.max)),
        .accepted("laptop_mode", .jiffies, 0, Int.min...Int.max),
        .accepted("legacy_va_layout", .int, 0, 0...Int(Int32.max)),
        .vm("lowmem_reserve_ratio", .partialInts(max: K.nrZoneTypes), { $0.knobs.lowmemReserveRatio }, { $0.setLowmemReserveRatio($1) }),
        .accepted("max_map_count", .int, 65530, 0...Int(Int32.max)),
        .accepted("memfd_noexec", .int, 0, 0...2),
        .vm("min_free_kbytes", .int, { $0.knobs.minFreeKbytes }, { try $0.setMinFreeKbytes($1) }),
        .accepted("min_slab_ratio", .int, 5, 0...100),
        .accepted("min_unmapped_ratio", .int, 1, 0...100),
        .accepted("mmap_min_addr", .ulong, 4096, 0...UInt64.max),
        .accepted("mmap_rnd_bits", mode: 0o600, .int, 28, 28...32),
        .accepted("mmap_rnd_compat_bits", mode: 0o600, .int, 8, 8...16),
        .accepted("nr_hugepages", .ulong, 0, 0...UInt64.max),
        .accepted("nr_hugepages_mempolicy", .ulong, 0, 0...UInt64.max),
        .accepted("nr_overcommit_hugepages", .ulong, 0, 0...UInt64.max),
        .vm("numa_stat", .int, { $0.knobs.numaStat }, { try $0.setNumaStat($1) }),
        .vm("numa_zonelist_order", .zonelistOrder, { _ in "Node" }, { _, _ in }),
        .accepted("oom_dump_tasks", .int, 1, Int(Int32.min)...Int(Int32.max)),
        .accepted("oom_kill_allocating_task", .int, 0, Int(Int32.min)...Int(Int32.max)),
        .accepted("overcommit_kbytes", .ulong, 0, 0...UInt64.max, clears: "overcommit_ratio"),
        .accepted("overcommit_memory", .int, 0, 0...2),
        .accepted("overcommit_ratio", .int, 50, Int(Int32.min)...Int(Int32.max), clears: "overcommit_kbytes"),
        .accepted("page-cluster", .int, 3, 0...31),
        .accepted("page_lock_unfairness", .int, 5, 0...Int(Int32.max)),
        .accepted("panic_on_oom", .int, 0, 0...2),
        .vm("percpu_pagelist_high_fraction", .int, { $0.knobs.percpuPagelistHighFraction }, { try $0.setPercpuPagelistHighFraction($1) }),
        // Not upstream; present on the reference kernel (vm-dir.txt).
        .accepted("shrink_inodes_with_pagecache", .int, 0, 0...1),
        .vm("stat_interval", .jiffies, { $0.knobs.statIntervalJiffies }, { try $0.setStatInterval(jiffies: $1) }),
        .vm("stat_refresh", mode: 0o600, .refresh, { _ in "" }, { _, _ in }),
        .vm("swappiness", .int, { $0.knobs.swappiness }, { try $0.setSwappiness($1) }),
        .accepted("unprivileged_userfaultfd", .int, 0, 0...1),
        .vm("user_reserve_kbytes", .ulong, { $0.knobs.userReserveKbytes }, { $0.setUserReserveKbytes($1) }),
        .accepted("vfs_cache_pressure", .int, 100, 0...Int(Int32.max)),
        .accepted("vfs_cache_pressure_denom", .int, 100, 100...Int(Int32.max)),
        .vm("watermark_boost_factor", .int, { $0.knobs.watermarkBoostFactor }, { try $0.setWatermarkBoostFactor($1) }),
        .vm("watermark_scale_factor", .int, { $0.knobs.watermarkScaleFactor }, { try $0.setWatermarkScaleFactor($1) }),
        .vm("zone_reclaim_mode", .int, { $0.knobs.zoneReclaimMode }, { try $0.setZoneReclaimMode($1) }),
    ] + thp

    /// /sys/kernel/mm/transparent_hugepage: enabled, defrag, use_zero_page, hpage_pmd_size and
    /// khugepaged/*, parsed as their stores in mm/huge_memory.c and mm/khugepaged.c do.
    static let thp: [Knob] = {
        let dir = "sys/kernel/mm/transparent_hugepage/", k = dir + "khugepaged/"
        let flag = KnobFormat<Int>.kstrtou(bits: 64, rangeErrno: true)
        let ulong = KnobFormat<Int>.kstrtou(bits: 64, rangeErrno: false), uint = KnobFormat<Int>.kstrtou(bits: 32, rangeErrno: false)
        return [
            .machine(dir + "enabled", .choice, { $0.knobs.thp }, { $0.setTHP($1) }),
            .machine(dir + "defrag", .choice, { $0.knobs.thpDefrag }, { $0.setTHPDefrag($1) }),
            .machine(dir + "use_zero_page", flag, { $0.knobs.khugepaged.useZeroPage }, { try $0.setTHPFlag($1, \.useZeroPage) }),
            .machine(readOnly: dir + "hpage_pmd_size", .int, { _ in K.pageblockNrPages * K.pageSize }),
            .machine(k + "defrag", flag, { $0.knobs.khugepaged.defrag }, { try $0.setTHPFlag($1, \.defrag) }),
            .machine(k + "max_ptes_none", ulong, { $0.knobs.khugepaged.maxPtesNone }, { try $0.setKhugepagedMaxPtes($1, \.maxPtesNone) }),
            .machine(k + "max_ptes_swap", ulong, { $0.knobs.khugepaged.maxPtesSwap }, { try $0.setKhugepagedMaxPtes($1, \.maxPtesSwap) }),
            .machine(k + "max_ptes_shared", ulong, { $0.knobs.khugepaged.maxPtesShared }, { try $0.setKhugepagedMaxPtes($1, \.maxPtesShared) }),
            .machine(k + "pages_to_scan", uint, { $0.knobs.khugepaged.pagesToScan }, { try $0.setKhugepagedPagesToScan($1) }),
            .machine(k + "scan_sleep_millisecs", uint, { $0.knobs.khugepaged.scanSleepMillisecs }, { try $0.setKhugepagedSleep($1, \.scanSleepMillisecs) }),
            .machine(k + "alloc_sleep_millisecs", uint, { $0.knobs.khugepaged.allocSleepMillisecs }, { try $0.setKhugepagedSleep($1, \.allocSleepMillisecs) }),
            // khugepaged does not run in the model: nothing is scanned or collapsed.
            .machine(readOnly: k + "full_scans", .int, { _ in 0 }),
            .machine(readOnly: k + "pages_collapsed", .int, { _ in 0 }),
        ]
    }()

    /// pcpsim's own: the design and its open questions (machine knobs), the mount's pace and workload.
    static let own: [Knob] = [
        .machine("sys/kernel/mm/pcpsim/policy", .choice, { $0.policy }, { $0.setPolicy($1) }),
        .machine("sys/kernel/mm/pcpsim/remote_free_lock", .choice, { $0.pcpBuddyOptions.remoteFreeLock }, { $0.setRemoteFreeLock($1) }),
        .machine("sys/kernel/mm/pcpsim/phase2_chunk", .choice, { Phase2Chunk($0.pcpBuddyOptions) }, { $0.setPhase2LargestFirst($1.largestFirst) }),
        .machine("sys/kernel/mm/pcpsim/contig_pcp", .choice, { $0.pcpBuddyOptions.contigPCP }, { $0.setContigPCP($1) }),
        .mount("sys/kernel/mm/pcpsim/pace", .real, { $0.pace }, { try $0.setPace($1) }),
        .mount("sys/kernel/mm/pcpsim/workload", mode: 0o444, .line, { $0.workload }, nil),
    ]

    /// tracefs: tracing_on and each kmem event's enable.
    static let tracing: [Knob] = [
        .mount("sys/kernel/tracing/tracing_on", .int, { $0.tracingOn ? 1 : 0 }, { try $0.setTracingOn($1) }),
    ] + TraceEvent.names.map { e in
        .mount("sys/kernel/tracing/events/kmem/\(e)/enable", .int, { $0.enabledEvents.contains(e) ? 1 : 0 }, { try $0.setEvent(e, $1) })
    }

    /// What is wrong with a restored state's accepted knobs (a name 6.18 has not, or a value no
    /// write leaves), or nil: their values reach the renderers' arithmetic unchecked otherwise.
    public static func acceptedProblem(_ accepted: [String: UInt64]) -> String? {
        for (name, bits) in accepted.sorted(by: { $0.key < $1.key }) {
            guard let k = kernel.first(where: { $0.isAccepted && $0.path == "proc/sys/vm/" + name }) else {
                return "it holds a value for vm.\(name), which is no accepted sysctl"
            }
            if k.holdsValid?(bits) == false { return "vm.\(name) holds \(bits), which no write leaves" }
        }
        return nil
    }

    /// The vm sysctls the model does not act on, by name: what `Machine.setAccepted` stores.
    public static var acceptedNames: [String] { kernel.filter(\.isAccepted).map { String($0.path.dropFirst(12)) } }

    /// Knobs by path (built once; not used on the model's hot paths).
    public static let byPath: [String: Knob] = Dictionary(uniqueKeysWithValues: all.map { ($0.path, $0) })

    /// The knob sysctl(8) names `vm.NAME` (or `vm/NAME`); any other name is taken as a path
    /// with dots for slashes (`sys.kernel.mm.transparent_hugepage.enabled`).
    public static func knob(forSysctl name: String) -> Knob? {
        let n = String(name.map { $0 == "." ? "/" : $0 })
        return byPath[n.hasPrefix("vm/") ? "proc/sys/" + n : n]
    }

    /// A knob's name as `--sysctl` takes it.
    public static func sysctlName(_ k: Knob) -> String {
        String((k.path.hasPrefix("proc/sys/") ? k.path.dropFirst(9) : k.path[...]).map { $0 == "/" ? "." : $0 })
    }
}
