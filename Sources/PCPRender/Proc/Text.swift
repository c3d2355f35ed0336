import PCPModel

/// printf-style padding without Foundation: the kernel's %Ns / %-Ns / %Nlu.
extension String {
    /// Right-aligned in `width` (printf "%Ns").
    @inline(__always) mutating func right(_ s: String, _ width: Int) {
        let n = s.utf8.count
        if n < width { append(String(repeating: " ", count: width - n)) }
        append(s)
    }

    @inline(__always) mutating func right(_ v: Int, _ width: Int) { right(String(v), width) }

    /// "Node %d, zone %8s" — how buddyinfo, pagetypeinfo, zoneinfo and extfrag name a zone.
    @inline(__always) mutating func zoneName(nid: Int, _ zone: ZoneType) {
        append("Node \(nid), zone ")
        right(zone.name, 8)
    }

    /// Left-aligned in `width` (printf "%-Ns").
    @inline(__always) mutating func left(_ s: String, _ width: Int) {
        append(s)
        let n = s.utf8.count
        if n < width { append(String(repeating: " ", count: width - n)) }
    }
}
