import PCPModel

/// /proc/meminfo, only the fields the model derives (meminfo_proc_show order and format;
/// swap, buffers, shmem, vmalloc, percpu, hugetlb and direct-map lines are left out).
public enum Meminfo {
    public static func render(_ s: Snapshot) -> String {
        let node = (0..<NodeStat.count).map { i in s.nodes.reduce(0) { $0 + $1.stat[i] } }
        func n(_ i: NodeStat) -> Int { node[i.rawValue] }
        let total = s.zones.reduce(0) { $0 + $1.geometry.managed }
        let free = s.zones.reduce(0) { $0 + $1.vmStat[ZoneStat.nrFreePages.rawValue] }
        let anonActive = n(.nrActiveAnon), anonInactive = n(.nrInactiveAnon)
        let fileActive = n(.nrActiveFile), fileInactive = n(.nrInactiveFile)
        let sreclaimable = n(.nrSlabReclaimable), sunreclaim = n(.nrSlabUnreclaimable)
        var out = ""
        kb(&out, "MemTotal:", total)
        kb(&out, "MemFree:", free)
        kb(&out, "MemAvailable:", memAvailable(s, free: free, fileLRU: fileActive + fileInactive, reclaimable: sreclaimable))
        kb(&out, "Cached:", n(.nrFilePages))
        kb(&out, "Active:", anonActive + fileActive)
        kb(&out, "Inactive:", anonInactive + fileInactive)
        kb(&out, "Active(anon):", anonActive)
        kb(&out, "Inactive(anon):", anonInactive)
        kb(&out, "Active(file):", fileActive)
        kb(&out, "Inactive(file):", fileInactive)
        kb(&out, "AnonPages:", n(.nrAnonPages))
        kb(&out, "KReclaimable:", sreclaimable)
        kb(&out, "Slab:", sreclaimable + sunreclaim)
        kb(&out, "SReclaimable:", sreclaimable)
        kb(&out, "SUnreclaim:", sunreclaim)
        out.left("KernelStack:", 16)
        out.right(n(.nrKernelStackKB), 8)
        out += " kB\n"
        kb(&out, "PageTables:", n(.nrPageTablePages))
        kb(&out, "AnonHugePages:", n(.nrAnonTransparentHugepages))
        return out
    }

    /// show_val_kb(): label padded to 16, pages in KiB right-aligned in 8.
    static func kb(_ out: inout String, _ label: String, _ pages: Int) {
        out.left(label, 16)
        out.right(pages << (K.pageShift - 10), 8)
        out += " kB\n"
    }

    /// si_mem_available(): free above the reserves, plus the half of page cache and
    /// reclaimable slab that could go without dipping under the low watermarks.
    static func memAvailable(_ s: Snapshot, free: Int, fileLRU: Int, reclaimable: Int) -> Int {
        let wmarkLow = s.zones.reduce(0) { $0 + $1.watermark[1] + $1.watermarkBoost }
        var available = free - s.totalreservePages
        available += fileLRU - min(fileLRU / 2, wmarkLow)
        available += reclaimable - min(reclaimable / 2, wmarkLow)
        return max(available, 0)
    }
}
