import PCPModel

/// /proc/meminfo: every line 6.18 prints on x86-64, in meminfo_proc_show order and format
/// (show_val_kb, then the arch, hugetlb and direct-map lines). Each line reads one value of
/// the snapshot; a counter the model never moves reads 0 there, as in /proc/vmstat (the
/// README lists them), and a constant of the kernel prints that constant.
public enum Meminfo {
    /// What a line shows: pages (printed in kB), kB, or a count without unit.
    enum Value {
        case pages(@Sendable (Totals) -> Int)
        case kB(@Sendable (Totals) -> Int)
        case count(@Sendable (Totals) -> Int)
    }

    /// The sums every line reads from.
    struct Totals {
        let s: Snapshot
        let node: [Int]
        let zone: [Int]
        /// totalram_pages(): the managed pages of every zone.
        let totalram: Int
        /// global_node_page_state(ITEM) by its /proc/vmstat name.
        func node(_ name: String) -> Int { Names.nodeStatIndex[name].map { node[$0] } ?? 0 }
        func zone(_ item: ZoneStat) -> Int { zone[item.rawValue] }
    }

    static let lines: [(String, Value)] = [
        ("MemTotal:", .pages { $0.totalram }),
        ("MemFree:", .pages { $0.zone(.nrFreePages) }),
        ("MemAvailable:", .pages(memAvailable)),
        ("Buffers:", .pages { _ in 0 }),  // block-device page cache: not modelled
        ("Cached:", .pages { max(0, $0.node("nr_file_pages") - $0.node("nr_swapcached")) }),
        ("SwapCached:", .pages { $0.node("nr_swapcached") }),
        ("Active:", .pages { $0.node("nr_active_anon") + $0.node("nr_active_file") }),
        ("Inactive:", .pages { $0.node("nr_inactive_anon") + $0.node("nr_inactive_file") }),
        ("Active(anon):", .pages { $0.node("nr_active_anon") }),
        ("Inactive(anon):", .pages { $0.node("nr_inactive_anon") }),
        ("Active(file):", .pages { $0.node("nr_active_file") }),
        ("Inactive(file):", .pages { $0.node("nr_inactive_file") }),
        ("Unevictable:", .pages { $0.node("nr_unevictable") }),
        ("Mlocked:", .pages { $0.zone(.nrMlock) }),
        ("SwapTotal:", .pages { $0.s.swapTotalPages }),
        ("SwapFree:", .pages { $0.s.swapFreePages }),
        ("Zswap:", .kB { _ in 0 }),
        ("Zswapped:", .pages { _ in 0 }),
        ("Dirty:", .pages { $0.node("nr_dirty") }),
        ("Writeback:", .pages { $0.node("nr_writeback") }),
        ("AnonPages:", .pages { $0.node("nr_anon_pages") }),
        ("Mapped:", .pages { $0.node("nr_mapped") }),
        ("Shmem:", .pages { $0.node("nr_shmem") }),
        ("KReclaimable:", .pages { $0.node("nr_slab_reclaimable") + $0.node("nr_kernel_misc_reclaimable") }),
        ("Slab:", .pages { $0.node("nr_slab_reclaimable") + $0.node("nr_slab_unreclaimable") }),
        ("SReclaimable:", .pages { $0.node("nr_slab_reclaimable") }),
        ("SUnreclaim:", .pages { $0.node("nr_slab_unreclaimable") }),
        ("KernelStack:", .kB { $0.node("nr_kernel_stack") }),
        ("PageTables:", .pages { $0.node("nr_page_table_pages") }),
        ("SecPageTables:", .pages { $0.node("nr_sec_page_table_pages") }),
        ("NFS_Unstable:", .pages { _ in 0 }),
        ("Bounce:", .pages { _ in 0 }),
        ("WritebackTmp:", .pages { $0.node("nr_writeback_temp") }),
        ("CommitLimit:", .pages(commitLimit)),
        ("Committed_AS:", .pages { _ in 0 }),  // vm_committed_as: no address spaces are modelled
        ("VmallocTotal:", .kB { _ in 34_359_738_367 }),  // VMALLOC_TOTAL >> 10, 4-level paging
        ("VmallocUsed:", .pages { _ in 0 }),
        ("VmallocChunk:", .kB { _ in 0 }),  // always 0 since 5.3
        ("Percpu:", .pages { _ in 0 }),
        ("AnonHugePages:", .pages { $0.node("nr_anon_transparent_hugepages") }),
        ("ShmemHugePages:", .pages { $0.node("nr_shmem_hugepages") }),
        ("ShmemPmdMapped:", .pages { $0.node("nr_shmem_pmdmapped") }),
        ("FileHugePages:", .pages { $0.node("nr_file_hugepages") }),
        ("FilePmdMapped:", .pages { $0.node("nr_file_pmdmapped") }),
        ("Balloon:", .pages { $0.node("nr_balloon_pages") }),
        ("HugePages_Total:", .count { _ in 0 }),  // no hugetlb pool (nr_hugepages is accepted, no effect)
        ("HugePages_Free:", .count { _ in 0 }),
        ("HugePages_Rsvd:", .count { _ in 0 }),
        ("HugePages_Surp:", .count { _ in 0 }),
        ("Hugepagesize:", .kB { _ in (K.pageSize << K.hpagePMDOrder) >> 10 }),
        ("Hugetlb:", .kB { _ in 0 }),
        ("DirectMap4k:", .kB { _ in 0 }),  // the kernel's direct-map page sizes: not modelled
        ("DirectMap2M:", .kB { _ in 0 }),
        ("DirectMap1G:", .kB { _ in 0 }),
    ]

    public static func render(_ s: Snapshot) -> String {
        let t = Totals(s: s, node: (0..<NodeStat.count).map { i in s.nodes.reduce(0) { $0 + $1.stat[i] } },
                       zone: (0..<ZoneStat.count).map { i in s.zones.reduce(0) { $0 + $1.vmStat[i] } },
                       totalram: s.zones.reduce(0) { $0 + $1.geometry.managed })
        var out = ""
        out.reserveCapacity(1600)
        for (label, value) in lines {
            switch value {
            case .pages(let f): kbLine(&out, label, f(t) << (K.pageShift - 10))
            case .kB(let f): kbLine(&out, label, f(t))
            case .count(let f):
                // hugetlb_report_meminfo(): "HugePages_Total:   %5lu"
                out.left(label, 19)
                out.right(f(t), 5)
                out += "\n"
            }
        }
        return out
    }

    /// show_val_kb(): label padded to 16, the value right-aligned in 8, " kB".
    static func kbLine(_ out: inout String, _ label: String, _ kb: Int) {
        out.left(label, 16)
        out.right(kb, 8)
        out += " kB\n"
    }

    /// si_mem_available(): free above the reserves, plus the half of page cache and
    /// reclaimable slab that could go without dipping under the low watermarks.
    static func memAvailable(_ t: Totals) -> Int {
        let wmarkLow = t.s.zones.reduce(0) { $0 + $1.watermark[1] + $1.watermarkBoost }
        let fileLRU = t.node("nr_active_file") + t.node("nr_inactive_file")
        let reclaimable = t.node("nr_slab_reclaimable") + t.node("nr_kernel_misc_reclaimable")
        var available = t.zone(.nrFreePages) - t.s.totalreservePages
        available += fileLRU - min(fileLRU / 2, wmarkLow)
        available += reclaimable - min(reclaimable / 2, wmarkLow)
        return max(available, 0)
    }

    /// vm_commit_limit(): overcommit_kbytes if set, else overcommit_ratio percent of RAM (no
    /// hugetlb pool), plus the swap pages.
    static func commitLimit(_ t: Totals) -> Int {
        let kbytes = t.s.knobs.accepted["overcommit_kbytes"] ?? 0
        if kbytes != 0 { return Int(kbytes >> UInt64(K.pageShift - 10)) + t.s.swapTotalPages }
        let ratio = Int(Int64(bitPattern: t.s.knobs.accepted["overcommit_ratio"] ?? 50))
        return t.totalram * ratio / 100 + t.s.swapTotalPages
    }
}
