import PCPModel

/// One read-only file of the simulated /proc or /sys tree.
public struct ProcFile: Sendable {
    public let path: String
    public let mode: UInt16
    public let render: @Sendable (Snapshot) -> String
}

/// The path → renderer table: what `pcpsim render PATH` and the mount serve.
public enum ProcFiles {
    public static let fixed: [ProcFile] = [
        ProcFile(path: "proc/buddyinfo", mode: 0o444, render: Buddyinfo.render),
        ProcFile(path: "proc/zoneinfo", mode: 0o444, render: Zoneinfo.render),
        ProcFile(path: "proc/pagetypeinfo", mode: 0o400, render: Pagetypeinfo.render),
        ProcFile(path: "proc/vmstat", mode: 0o444, render: Vmstat.render),
        ProcFile(path: "proc/meminfo", mode: 0o444, render: Meminfo.render),
        ProcFile(path: "proc/swaps", mode: 0o444, render: Swaps.render),
        ProcFile(path: "proc/pressure/memory", mode: 0o444, render: Pressure.memory),
        ProcFile(path: "proc/lock_stat", mode: 0o444) { s in
            guard let l = s.locks else { return LockStat.render([]) }
            return LockStat.render([("&zone->lock", l.zone), ("&pcp->lock", l.pcp)])
        },
        ProcFile(path: "proc/stat", mode: 0o444, render: Stat.render),
        ProcFile(path: "proc/loadavg", mode: 0o444, render: Stat.loadavg),
        ProcFile(path: "proc/uptime", mode: 0o444, render: Stat.uptime),
        ProcFile(path: "proc/pressure/cpu", mode: 0o444, render: Pressure.unmodelled),
        ProcFile(path: "proc/pressure/io", mode: 0o444, render: Pressure.unmodelled),
        ProcFile(path: "sys/kernel/debug/extfrag/unusable_index", mode: 0o444, render: Extfrag.unusableIndex),
        ProcFile(path: "sys/kernel/debug/extfrag/extfrag_index", mode: 0o444, render: Extfrag.extfragIndex),
    ]

    /// Every file of a machine with `cpus` CPUs and the given populated zones, knobs included.
    public static func all(cpus: Int, zones: [(nid: Int, type: ZoneType)]) -> [ProcFile] {
        var files = fixed
        let nodes = (zones.map(\.nid).max() ?? 0) + 1
        files += NodeSysfs.files(nodes: nodes).map { ProcFile(path: $0.0, mode: 0o444, render: $0.1) }
        for cpu in 0..<cpus {
            for z in zones {
                files.append(ProcFile(path: PCPStats.path(cpu: cpu, nid: z.nid, zone: z.type), mode: 0o444) { s in
                    PCPStats.render(s, cpu: cpu, nid: z.nid, zone: z.type)
                })
            }
        }
        return files
    }

    /// The files of this machine.
    public static func all(for m: Machine) -> [ProcFile] {
        all(cpus: m.nrCPUs, zones: m.populatedZones.map { ($0.nid, $0.type) })
    }
}

/// sys/kernel/debug/pcp/cpuN/nodeM-ZONE: one CPU's pageset in one zone (pcpsim's own
/// debugfs file: `name value` lines, lists by pindex as `list<P>_o<ORDER>_<TYPE>`; the owning
/// policies' buddy area, owned blocks and routed frees; this CPU's lock figures, all zones
/// together, when an engine runs the machine).
public enum PCPStats {
    public static func path(cpu: Int, nid: Int, zone: ZoneType) -> String {
        "sys/kernel/debug/pcp/cpu\(cpu)/node\(nid)-\(zone.name)"
    }

    static let listNames: [String] = (0..<K.nrPCPLists).map { p in
        let types = ["U", "M", "R"]
        let t = p < K.nrLowOrderPCPLists ? types[p % 3] : (p == 12 ? "UR" : "M")
        return "list\(p)_o\(pindexToOrder(p))_\(t)"
    }

    public static func render(_ s: Snapshot, cpu: Int, nid: Int, zone: ZoneType) -> String {
        let z = s.zones[nid * K.nrZoneTypes + zone.rawValue]
        guard cpu < z.pcp.count else { return "" }
        let p = z.pcp[cpu]
        var out = "count \(p.count)\nhigh \(p.high)\nbatch \(p.batch)\nhigh_min \(p.highMin)\nhigh_max \(p.highMax)\n"
        out += "flags \(p.flags)\nalloc_factor \(p.allocFactor)\nfree_count \(p.freeCount)\n"
        for (i, n) in p.listLengths.enumerated() { out += "\(listNames[i]) \(n)\n" }
        out += "buddy_area_pages \(p.buddyAreaPages)\nowned_blocks \(p.ownedBlocks)\n"
        out += "owned_blocks_listed \(p.ownedBlocksListed)\nrouted_frees_in \(p.routedIn)\nrouted_frees_out \(p.routedOut)\n"
        if let l = s.locks, cpu < l.perCPUZone.count {
            for (name, st) in [("zone_lock", l.perCPUZone[cpu]), ("pcp_lock", l.perCPUPCP[cpu])] {
                out += "\(name)_acquisitions \(st.acquisitions)\n\(name)_contentions \(st.contentions)\n"
                out += "\(name)_wait_ns \(st.waitNs.total)\n\(name)_hold_ns \(st.holdNs.total)\n"
            }
            out += "pcp_lock_remote_acquisitions \(l.perCPUPCP[cpu].remoteAcquisitions)\n"
        }
        return out
    }
}
