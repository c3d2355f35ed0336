import PCPModel

/// /proc/zoneinfo (zoneinfo_show_print, 6.18): every zone of every node; node stats under the
/// node's first populated zone; unpopulated zones stop after `protection:`.
public enum Zoneinfo {
    /// Node items counted in pages but printed in THPs (vmstat_item_print_in_thp).
    static let thpItems = Set(["nr_shmem_hugepages", "nr_shmem_pmdmapped", "nr_file_hugepages", "nr_file_pmdmapped",
                               "nr_anon_transparent_hugepages"].compactMap { Names.nodeStats.firstIndex(of: $0) })

    public static func render(_ s: Snapshot) -> String {
        var out = ""
        out.reserveCapacity(4096 + s.zones.count * (1024 + s.nrCPUs * 160))
        for (nid, node) in s.nodes.enumerated() {
            let zones = s.zones(ofNode: nid)
            let first = zones.first(where: \.isPopulated)?.geometry.type
            for z in zones {
                out.zoneName(nid: nid, z.geometry.type)
                if z.geometry.type == first {
                    out += "\n  per-node stats"
                    for (i, name) in Names.nodeStats.enumerated() {
                        item(&out, name, thpItems.contains(i) ? node.stat[i] / (1 << K.hpagePMDOrder) : node.stat[i])
                    }
                }
                let g = z.geometry
                out += "\n  pages free     \(z.vmStat[ZoneStat.nrFreePages.rawValue])"
                out += "\n        boost    \(z.watermarkBoost)"
                out += "\n        min      \(z.watermark[0])"
                out += "\n        low      \(z.watermark[1])"
                out += "\n        high     \(z.watermark[2])"
                out += "\n        promo    \(z.watermark[3])"
                out += "\n        spanned  \(g.spanned)"
                out += "\n        present  \(g.present)"
                out += "\n        managed  \(g.managed)"
                out += "\n        cma      0"
                out += "\n        protection: (" + z.lowmemReserve.map(String.init).joined(separator: ", ") + ")"
                guard z.isPopulated else { out += "\n"; continue }
                for (i, name) in Names.zoneStats.enumerated() { item(&out, name, z.vmStat[i]) }
                for (i, name) in Names.numaEvents.enumerated() { item(&out, name, z.numa[i]) }
                out += "\n  pagesets"
                for (cpu, p) in z.pcp.enumerated() {
                    out += "\n    cpu: \(cpu)"
                    out += "\n              count:    \(p.count)"
                    out += "\n              high:     \(p.high)"
                    out += "\n              batch:    \(p.batch)"
                    out += "\n              high_min: \(p.highMin)"
                    out += "\n              high_max: \(p.highMax)"
                    out += "\n  vm stats threshold: \(z.statThreshold)"
                }
                // kswapd reclaim is not modelled, so a node never becomes unreclaimable.
                out += "\n  node_unreclaimable:  0"
                out += "\n  start_pfn:           \(g.startPFN)"
                out += "\n"
            }
        }
        return out
    }

    /// "\n      %-12s %lu".
    @inline(__always) static func item(_ out: inout String, _ name: String, _ v: Int) {
        out += "\n      "
        out.left(name, 12)
        out += " \(v)"
    }
}
