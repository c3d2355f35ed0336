/// The engine's clocks: one virtual clock per simulated CPU, and a winner tree over them so
/// that finding the CPU furthest behind costs O(log CPUs). Ties go to the lower CPU id: clocks
/// are ordered by (clock, CPU), a total order, so the CPU furthest behind is one CPU whatever
/// the structure that finds it.
///
/// A winner tree rather than a binary heap: moving one clock replays the log2 matches on its
/// leaf's path (one comparison a level, no entries moved), where a heap's sift moved an entry
/// and its position a level; and a catch-up that moves many clocks rebuilds the tree once.
/// Each node holds its winner's (clock, CPU) packed into one 64-bit key, so a match is one
/// unsigned minimum of two words and needs no clock looked up.
struct Scheduler: ~Copyable {
    /// Every CPU's clock. Invariant: every clock is ≥ 0 (the machine's time starts at 0 and a
    /// restore refuses a negative one).
    private let clock: FixedArray<Picoseconds>
    /// Node `i` (1 ≤ i < leaves) holds the least key of its subtree; node `leaves + c` is CPU
    /// `c`'s key, and the slots past the last CPU (up to a power of two) hold `.max`.
    ///
    /// A key is `(clock - base) << shift | cpu` while the clock is within `horizon` of the
    /// base, so keys order exactly as (clock, CPU); a clock further ahead saturates at
    /// `horizon << shift | cpu`, which has the top bit set and so lies above every exact key.
    /// The root is exact as long as some clock is within the horizon, and when none is (or a
    /// clock falls behind the base) the keys are rebuilt from the least clock: at 8,192 CPUs
    /// the horizon is 18 simulated minutes.
    private let key: FixedArray<UInt64>
    /// The clock keys are measured from: the least clock at the last rebuild (one element, so
    /// that the scheduler's methods stay nonmutating).
    private let base = FixedArray<Int64>(repeating: 0, count: 1)
    /// Leaves: the CPU count rounded up to a power of two, `1 << shift`.
    private let leaves: Int
    private let shift: Int
    /// Clocks this far past the base or further saturate: `1 << (63 - shift)` picoseconds, so
    /// a saturated key is `1 << 63 | cpu`, still below the padding's `.max`.
    private let horizon: UInt64
    let count: Int
    /// The least saturated key.
    private static let saturated: UInt64 = 1 << 63

    init(cpus: Int, start: Picoseconds) {
        count = cpus
        var s = 0
        while 1 << s < cpus { s += 1 }
        shift = s
        leaves = 1 << s
        horizon = 1 << (63 - s)
        clock = FixedArray(repeating: start, count: cpus)
        key = FixedArray(repeating: .max, count: 2 * leaves)
        rebuild()
    }

    /// The CPU furthest behind, and its clock: the machine's virtual time.
    var next: Int { Int(truncatingIfNeeded: key[1] & UInt64(leaves &- 1)) }
    var now: Picoseconds { clock[next] }
    /// The clock of the CPU furthest ahead.
    var latest: Picoseconds { (0..<count).reduce(clock[0]) { max($0, clock[$1]) } }

    subscript(cpu: Int) -> Picoseconds { clock[cpu] }

    /// CPU `cpu` at clock `t` (≥ the base) as a key.
    @inline(__always) private func pack(_ cpu: Int, _ t: Int64, base b: Int64) -> UInt64 {
        let d = UInt64(bitPattern: t &- b)
        return (d < horizon ? d : horizon) &<< shift | UInt64(truncatingIfNeeded: cpu)
    }

    /// Moves a CPU's clock (either way) and replays its leaf's path: one load, one minimum and
    /// one store a level, with no branch on which way a match goes.
    @inline(__always) func set(_ cpu: Int, to t: Picoseconds) {
        clock[cpu] = t
        let b = base[0]
        guard t.value >= b else { return rebuild() }
        var k = leaves &+ cpu
        var w = pack(cpu, t.value, base: b)
        key[k] = w
        while k > 1 {
            w = min(w, key[k ^ 1])
            k &>>= 1
            key[k] = w
        }
        if w >= Scheduler.saturated { rebuild() }
    }

    /// Every CPU behind `t` idles until `t`.
    func catchUp(to t: Picoseconds) {
        var moved = false
        for c in 0..<count where clock[c] < t {
            clock[c] = t
            moved = true
        }
        if moved { rebuild() }
    }

    /// Every key again from the least clock, and every match from the leaves up.
    private func rebuild() {
        var b = Int64.max
        for c in 0..<count { b = min(b, clock[c].value) }
        base[0] = b
        for c in 0..<count { key[leaves + c] = pack(c, clock[c].value, base: b) }
        for i in stride(from: leaves - 1, through: 1, by: -1) { key[i] = min(key[2 * i], key[2 * i + 1]) }
    }
}

extension Scheduler {
    /// The clocks, saved as the binary heap the state format has held since version 1: the
    /// entries (clock, CPU) in (clock, CPU) order, which is a heap, and each CPU's position. A
    /// restore takes any valid heap of the machine's CPUs with no negative clock and keeps its
    /// clocks.
    func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.section("scheduler")
        let order = c.isSaving ? (0..<count).sorted { (clock[$0], $0) < (clock[$1], $1) } : Array(0..<count)
        let heap = FixedArray(order.map { HeapEntry(clock: clock[$0], cpu: $0) })
        let pos = FixedArray(repeating: 0, count: count)
        for (i, cpu) in order.enumerated() { pos[cpu] = i }
        try c.sync(heap)
        try c.sync(pos)
        c.derived(clock)
        c.derived(key)
        c.derived(base)
        guard !c.isSaving else { return }
        for i in 0..<count {
            let cpu = heap[i].cpu
            guard (0..<count).contains(cpu), pos[cpu] == i, heap[i].clock >= .zero,
                  i == 0 || !heap[i].before(heap[(i - 1) / 2]) else {
                throw CheckpointError("the CPU heap is not a heap of the machine's CPUs")
            }
            clock[cpu] = heap[i].clock
        }
        rebuild()
    }

    /// A saved heap entry: a CPU and its clock.
    struct HeapEntry: BitwiseCopyable {
        var clock: Picoseconds
        var cpu: Int
        func before(_ o: HeapEntry) -> Bool { (clock, cpu) < (o.clock, o.cpu) }
    }
}
