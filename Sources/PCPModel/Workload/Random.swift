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

/// Blocks a workload holds, in flat arrays (no object per block).
public struct HeldBlocks {
    public private(set) var refs: [PageRef] = []
    public private(set) var orders: [UInt8] = []
    public private(set) var pages = 0
    public init() {}
    public var count: Int { refs.count }

    public mutating func append(_ r: PageRef, order: Int) {
        refs.append(r); orders.append(UInt8(order)); pages += 1 << order
    }

    /// Removes entry `i` by moving the last one into its place.
    public mutating func swapRemove(_ i: Int) -> (PageRef, Int) {
        let r = refs[i], o = Int(orders[i])
        refs[i] = refs[refs.count - 1]; orders[i] = orders[orders.count - 1]
        refs.removeLast(); orders.removeLast()
        pages -= 1 << o
        return (r, o)
    }

    public mutating func removeLast() -> (PageRef, Int) { swapRemove(refs.count - 1) }
}

extension HeldBlocks: CheckpointableValue {
    public mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.sync(&refs)
        try c.sync(&orders)
        try c.sync(&pages)
        guard refs.count == orders.count else { throw CheckpointError("held blocks and their orders do not pair up") }
        try c.checkRefs(refs)
    }
}

extension PageRef: RawCheckpointValue {}
