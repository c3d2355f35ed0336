import PCPModel

/// debugfs extfrag/unusable_index and extfrag/extfrag_index.
public enum Extfrag {
    public static func unusableIndex(_ s: Snapshot) -> String {
        s.zones.filter(\.isPopulated).map { unusableRow(nid: $0.nid, zone: $0.geometry.type, nrFree: $0.nrFree) }.joined()
    }

    public static func extfragIndex(_ s: Snapshot) -> String {
        s.zones.filter(\.isPopulated).map { extfragRow(nid: $0.nid, zone: $0.geometry.type, nrFree: $0.nrFree) }.joined()
    }

    /// unusable_show_print(): "%d.%03d " per order.
    public static func unusableRow(nid: Int, zone: ZoneType, nrFree: [Int]) -> String {
        row(nid, zone) { o in
            let v = Fragmentation.unusableIndex(nrFree, order: o)
            return "\(v / 1000).\(pad3(v % 1000)) "
        }
    }

    /// extfrag_show_print(): "%2d.%03d " per order.
    public static func extfragRow(nid: Int, zone: ZoneType, nrFree: [Int]) -> String {
        row(nid, zone) { o in
            let v = Fragmentation.fragmentationIndex(nrFree, order: o)
            // The index is -1000 or within 0...1000, so the remainder is never negative.
            var field = ""
            field.right(v / 1000, 2)
            return field + ".\(pad3(v % 1000)) "
        }
    }

    static func row(_ nid: Int, _ zone: ZoneType, _ cell: (Int) -> String) -> String {
        var out = ""
        out.zoneName(nid: nid, zone)
        out += " "
        for o in 0...K.maxOrder { out += cell(o) }
        return out + "\n"
    }

    static func pad3(_ v: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, 3 - s.count)) + s
    }
}
