import PCPModel

/// sys/devices/system/node and sys/devices/system/cpu of the simulated machine
/// (drivers/base/node.c and cpu.c, 6.18 formats): node masks, each node's meminfo, numastat,
/// vmstat, distance and CPUs, and the CPU masks.
public enum NodeSysfs {
    typealias Render = @Sendable (Snapshot) -> String

    /// The files for `nodes` nodes: path and renderer.
    static func files(nodes: Int) -> [(String, Render)] {
        let top = "sys/devices/system/node/", cpu = "sys/devices/system/cpu/"
        let allNodes: Render = { list(0..<$0.nodes.count) }
        let cpuNodes: Render = { s in list(s.nodes.indices.filter { !s.nodes[$0].cpus.isEmpty }) }
        let allCPUs: Render = { list(0..<$0.nrCPUs) }
        let empty: Render = { _ in "\n" }
        var out: [(String, Render)] = [
            (top + "online", allNodes), (top + "possible", allNodes), (top + "has_normal_memory", memoryNodes),
            (top + "has_memory", memoryNodes), (top + "has_cpu", cpuNodes), (top + "has_generic_initiator", empty),
        ]
        for nid in 0..<nodes {
            let dir = top + "node\(nid)/"
            let meminfo: Render = { NodeSysfs.meminfo($0, nid: nid) }
            let numastat: Render = { NodeSysfs.numastat($0, nid: nid) }
            let vmstat: Render = { NodeSysfs.vmstat($0, nid: nid) }
            let distance: Render = { NodeSysfs.distance($0, nid: nid) }
            let cpulist: Render = { list($0.nodes[nid].cpus) }
            let cpumap: Render = { NodeSysfs.cpumap($0.nodes[nid].cpus, of: $0.nrCPUs) }
            out += [(dir + "meminfo", meminfo), (dir + "numastat", numastat), (dir + "vmstat", vmstat),
                    (dir + "distance", distance), (dir + "cpulist", cpulist), (dir + "cpumap", cpumap)]
        }
        let kernelMax: Render = { _ in "255\n" }  // CONFIG_NR_CPUS - 1
        out += [(cpu + "online", allCPUs), (cpu + "possible", allCPUs), (cpu + "present", allCPUs),
                (cpu + "offline", empty), (cpu + "kernel_max", kernelMax)]
        return out
    }

    @Sendable static func memoryNodes(_ s: Snapshot) -> String {
        list(s.nodes.indices.filter { nid in s.zones(ofNode: nid).contains { $0.geometry.managed > 0 } })
    }

    /// bitmap_print_list_to_buf(): "0-3,8".
    static func list<C: Collection>(_ ids: C) -> String where C.Element == Int {
        var parts: [String] = []
        var start: Int?, last = -2
        for i in ids.sorted() {
            if i == last + 1 { last = i; continue }
            if let s = start { parts.append(s == last ? "\(s)" : "\(s)-\(last)") }
            start = i
            last = i
        }
        if let s = start { parts.append(s == last ? "\(s)" : "\(s)-\(last)") }
        return parts.joined(separator: ",") + "\n"
    }

    /// bitmap_print_to_pagebuf(): hex, nr_cpu_ids bits wide, in 32-bit groups with commas.
    static func cpumap(_ cpus: [Int], of total: Int) -> String {
        var groups: [String] = []
        for g in stride(from: 0, to: max(total, 1), by: 32) {
            let bits = min(32, total - g)
            var word: UInt32 = 0
            for c in cpus where c >= g && c < g + 32 { word |= 1 << UInt32(c - g) }
            let hex = String(word, radix: 16)
            let width = g + 32 >= total ? (bits + 3) / 4 : 8
            groups.append(String(repeating: "0", count: max(0, width - hex.count)) + hex)
        }
        return groups.reversed().joined(separator: ",") + "\n"
    }

    /// node_distance(): LOCAL_DISTANCE 10, REMOTE_DISTANCE 20 (no SLIT).
    static func distance(_ s: Snapshot, nid: Int) -> String {
        s.nodes.indices.map { $0 == nid ? "10" : "20" }.joined(separator: " ") + "\n"
    }

    static func zoneSum(_ s: Snapshot, nid: Int, _ item: ZoneStat) -> Int {
        s.zones(ofNode: nid).reduce(0) { $0 + $1.vmStat[item.rawValue] }
    }

    static func nodeStat(_ s: Snapshot, nid: Int, _ name: String) -> Int {
        Names.nodeStatIndex[name].map { s.nodes[nid].stat[$0] } ?? 0
    }

    /// node_read_meminfo(): the node's counters, labels padded as /proc/meminfo's.
    static func meminfo(_ s: Snapshot, nid: Int) -> String {
        let total = s.zones(ofNode: nid).reduce(0) { $0 + $1.geometry.managed }
        let free = zoneSum(s, nid: nid, .nrFreePages)
        func n(_ name: String) -> Int { nodeStat(s, nid: nid, name) }
        let pages: [(String, Int)] = [
            ("MemTotal:", total), ("MemFree:", free), ("MemUsed:", total - free), ("SwapCached:", n("nr_swapcached")),
            ("Active:", n("nr_active_anon") + n("nr_active_file")), ("Inactive:", n("nr_inactive_anon") + n("nr_inactive_file")),
            ("Active(anon):", n("nr_active_anon")), ("Inactive(anon):", n("nr_inactive_anon")),
            ("Active(file):", n("nr_active_file")), ("Inactive(file):", n("nr_inactive_file")),
            ("Unevictable:", n("nr_unevictable")), ("Mlocked:", zoneSum(s, nid: nid, .nrMlock)),
            ("Dirty:", n("nr_dirty")), ("Writeback:", n("nr_writeback")), ("FilePages:", n("nr_file_pages")),
            ("Mapped:", n("nr_mapped")), ("AnonPages:", n("nr_anon_pages")), ("Shmem:", n("nr_shmem")),
        ]
        var out = ""
        for (label, v) in pages { line(&out, nid, label, v << (K.pageShift - 10)) }
        line(&out, nid, "KernelStack:", n("nr_kernel_stack"))
        let reclaimable = n("nr_slab_reclaimable") + n("nr_kernel_misc_reclaimable")
        let more: [(String, Int)] = [
            ("PageTables:", n("nr_page_table_pages")), ("SecPageTables:", n("nr_sec_page_table_pages")),
            ("NFS_Unstable:", 0), ("Bounce:", 0), ("WritebackTmp:", n("nr_writeback_temp")),
            ("KReclaimable:", reclaimable), ("Slab:", n("nr_slab_reclaimable") + n("nr_slab_unreclaimable")),
            ("SReclaimable:", n("nr_slab_reclaimable")), ("SUnreclaim:", n("nr_slab_unreclaimable")),
            ("AnonHugePages:", n("nr_anon_transparent_hugepages")), ("ShmemHugePages:", n("nr_shmem_hugepages")),
            ("ShmemPmdMapped:", n("nr_shmem_pmdmapped")), ("FileHugePages:", n("nr_file_hugepages")),
            ("FilePmdMapped:", n("nr_file_pmdmapped")),
        ]
        for (label, v) in more { line(&out, nid, label, v << (K.pageShift - 10)) }
        // hugetlb_report_node_meminfo(): no hugetlb pool is modelled.
        for label in ["HugePages_Total:", "HugePages_Free:", "HugePages_Surp:"] {
            out += "Node \(nid) "
            out.left(label, 17)
            out.right(0, 5)
            out += "\n"
        }
        return out
    }

    static func line(_ out: inout String, _ nid: Int, _ label: String, _ kb: Int) {
        out += "Node \(nid) "
        out.left(label, 16)
        out.right(kb, 8)
        out += " kB\n"
    }

    /// node_read_numastat(): the node's zones' NUMA events.
    static func numastat(_ s: Snapshot, nid: Int) -> String {
        let names = ["numa_hit", "numa_miss", "numa_foreign", "interleave_hit", "local_node", "other_node"]
        return names.enumerated().map { i, name in
            "\(name) \(s.zones(ofNode: nid).reduce(0) { $0 + $1.numa[i] })\n"
        }.joined()
    }

    /// node_read_vmstat(): the node's zone counters, NUMA events and node counters.
    static func vmstat(_ s: Snapshot, nid: Int) -> String {
        var out = ""
        for (i, name) in Names.zoneStats.enumerated() { out += "\(name) \(s.zones(ofNode: nid).reduce(0) { $0 + $1.vmStat[i] })\n" }
        for (i, name) in Names.numaEvents.enumerated() { out += "\(name) \(s.zones(ofNode: nid).reduce(0) { $0 + $1.numa[i] })\n" }
        for (i, name) in Names.nodeStats.enumerated() {
            let v = s.nodes[nid].stat[i]
            out += "\(name) \(Zoneinfo.thpItems.contains(i) ? v / (1 << K.hpagePMDOrder) : v)\n"
        }
        return out
    }
}
