/// SplitMix64: small, fast, and the same sequence on every platform for a seed.
public struct SplitMix64: Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    @inline(__always) public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in 0..<n (n > 0); the modulo bias is irrelevant at these ranges.
    @inline(__always) public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// Blocks a workload holds, in one flat array (no object per block): a block's reference and
/// order share 8 bytes, so freeing a random one reads one cache line.
public struct HeldBlocks {
    struct Entry {
        var index: UInt32
        var zone: UInt16
        var order: UInt8
    }
    private var entries: [Entry] = []
    public private(set) var pages = 0
    public init() {}
    public var count: Int { entries.count }

    public mutating func append(_ r: PageRef, order: Int) {
        entries.append(Entry(index: r.index, zone: r.zone, order: UInt8(order)))
        pages += 1 << order
    }

    /// Removes entry `i` by moving the last one into its place.
    public mutating func swapRemove(_ i: Int) -> (PageRef, Int) {
        let e = entries[i]
        entries[i] = entries[entries.count - 1]
        entries.removeLast()
        let o = Int(e.order)
        pages -= 1 << o
        return (PageRef(zone: Int(e.zone), index: Int(e.index)), o)
    }

    public mutating func removeLast() -> (PageRef, Int) { swapRemove(entries.count - 1) }
}
