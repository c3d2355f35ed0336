import PCPModel

/// /proc/buddyinfo (frag_show_print): populated zones, nr_free per order.
public enum Buddyinfo {
    public static func render(_ s: Snapshot) -> String {
        var out = ""
        for z in s.zones where z.isPopulated {
            out.zoneName(nid: z.nid, z.geometry.type)
            out += " "
            for n in z.nrFree { out.right(n, 6); out += " " }
            out += "\n"
        }
        return out
    }
}
