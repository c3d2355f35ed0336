import PCPModel

/// debugfs extfrag/unusable_index and extfrag/extfrag_index.
public enum Extfrag {
    public static func unusableIndex(_ s: Snapshot) -> String {
        render(s) { nrFree, o in
            let v = Fragmentation.unusableIndex(nrFree, order: o)
            return "\(v / 1000).\(pad3(v % 1000)) "
        }
    }

    public static func extfragIndex(_ s: Snapshot) -> String {
        render(s) { nrFree, o in
            let v = Fragmentation.fragmentationIndex(nrFree, order: o)
            // The index is -1000 or within 0...1000, so the remainder is never negative.
            var field = ""
            field.right(v / 1000, 2)
            return field + ".\(pad3(v % 1000)) "
        }
    }

    static func render(_ s: Snapshot, _ cell: ([Int], Int) -> String) -> String {
        var out = ""
        for z in s.zones where z.isPopulated {
            out += "Node \(z.nid), zone "
            out.right(z.geometry.type.name, 8)
            out += " "
            for o in 0...K.maxOrder { out += cell(z.nrFree, o) }
            out += "\n"
        }
        return out
    }

    static func pad3(_ v: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, 3 - s.count)) + s
    }
}
