import PCPModel

/// /proc/pagetypeinfo (pagetypeinfo_show, 6.18 without CMA or PAGE_OWNER), per node with memory.
public enum Pagetypeinfo {
    public static func render(_ s: Snapshot) -> String {
        var out = ""
        for nid in s.nodes.indices {
            let zones = s.zones(ofNode: nid).filter(\.isPopulated)
            guard !zones.isEmpty else { continue }
            out += "Page block order: \(K.pageblockOrder)\n"
            out += "Pages per block:  \(K.pageblockNrPages)\n\n"
            out.left("Free pages count per migrate type at order", 43)
            out += " "
            for o in 0...K.maxOrder { out.right(o, 6); out += " " }
            out += "\n"
            for z in zones {
                for mt in MigrateType.allCases {
                    out += "Node "
                    out.right(nid, 4)
                    out += ", zone "
                    out.right(z.geometry.type.name, 8)
                    out += ", type "
                    out.right(mt.procName, 12)
                    out += " "
                    for o in 0...K.maxOrder {
                        // The kernel stops counting a list at 100000 entries and marks it with '>'.
                        let n = z.freeByType[mt.rawValue][o]
                        if n >= 100_000 { out += ">" }
                        out.right(min(n, 100_000), 6)
                        out += " "
                    }
                    out += "\n"
                }
            }
            out += "\n"
            out.left("Number of blocks type ", 23)
            for mt in MigrateType.allCases { out.right(mt.procName, 12); out += " " }
            out += "\n"
            for z in zones {
                out.zoneName(nid: nid, z.geometry.type)
                out += " "
                for n in z.blocksByType { out.right(n, 12); out += " " }
                out += "\n"
            }
        }
        return out
    }
}
