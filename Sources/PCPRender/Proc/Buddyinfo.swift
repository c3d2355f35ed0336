import PCPModel

/// /proc/buddyinfo (frag_show_print): populated zones, nr_free per order.
public enum Buddyinfo {
    public static func render(_ s: Snapshot) -> String {
        var out = ""
        for z in s.zones where z.isPopulated {
            out += "Node \(z.nid), zone "
            out.right(z.geometry.type.name, 8)
            out += " "
            for n in z.nrFree { out.right(n, 6); out += " " }
            out += "\n"
        }
        return out
    }
}
