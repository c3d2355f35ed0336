/// The engine's clocks: one virtual clock per simulated CPU, and a winner tree over them so
/// that finding the CPU furthest behind costs O(log CPUs). Ties go to the lower CPU id: clocks
/// are ordered by (clock, CPU), a total order, so the CPU furthest behind is one CPU whatever
/// the structure that finds it.
///
/// A winner tree rather than a binary heap: moving one clock replays the log2 matches on its
/// leaf's path (one comparison a level, no entries moved), where a heap's sift moved an entry
/// and its position a level; and a catch-up that moves many clocks rebuilds the tree once.
struct Scheduler: ~Copyable {
    /// Every CPU's clock; the slots past the last CPU (up to a power of two) hold `.max`, so
    /// they lose every match. Invariant: every clock is ≥ 0 (the machine's time starts at 0 and
    /// a restore refuses a negative one), so a match's `tw - ts - 1` cannot wrap.
    private let clock: FixedArray<Picoseconds>
    /// Node `i` (1 ≤ i < leaves) holds the CPU that wins its subtree; node `leaves + c` is CPU
    /// `c` itself, so a match reads two nodes without telling leaves from inner nodes.
    private let winner: FixedArray<Int32>
    /// Leaves: the CPU count rounded up to a power of two.
    private let leaves: Int
    let count: Int

    init(cpus: Int, start: Picoseconds) {
        count = cpus
        var n = 1
        while n < cpus { n <<= 1 }
        leaves = n
        clock = FixedArray((0..<n).map { $0 < cpus ? start : Picoseconds(.max) })
        winner = FixedArray(repeating: 0, count: 2 * n)
        for c in 0..<n { winner[n + c] = Int32(c) }
        rebuild()
    }

    /// The CPU furthest behind, and its clock: the machine's virtual time.
    var next: Int { Int(winner[1]) }
    var now: Picoseconds { clock[Int(winner[1])] }
    /// The clock of the CPU furthest ahead.
    var latest: Picoseconds { (0..<count).reduce(clock[0]) { max($0, clock[$1]) } }

    subscript(cpu: Int) -> Picoseconds { clock[cpu] }

    /// The match of siblings `a` (left) and `b` (right): the CPU furthest behind, `a` on a
    /// tie, since every CPU id on the left is lower.
    @inline(__always) private func play(_ a: Int32, _ b: Int32) -> Int32 {
        clock[Int(b)].value < clock[Int(a)].value ? b : a
    }

    /// Moves a CPU's clock (either way) and replays its leaf's path. The path's winner and its
    /// clock stay in registers and each level loads only the sibling, so the levels' loads
    /// overlap; the match is a mask, not a branch (which way it goes is unpredictable).
    func set(_ cpu: Int, to t: Picoseconds) {
        clock[cpu] = t
        var k = leaves &+ cpu
        var w = Int32(truncatingIfNeeded: cpu), tw = t.value
        while k > 1 {
            let s = winner[k ^ 1], ts = clock[Int(s)].value
            // All ones when w wins: an earlier clock, or the same clock from the left.
            let mask = (tw &- ts &- Int64(1 &- (k & 1))) &>> 63
            w = s ^ ((s ^ w) & Int32(truncatingIfNeeded: mask))
            tw = ts ^ ((ts ^ tw) & mask)
            k &>>= 1
            winner[k] = w
        }
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

    /// Every match again, from the leaves up.
    private func rebuild() {
        for i in stride(from: leaves - 1, through: 1, by: -1) { winner[i] = play(winner[2 * i], winner[2 * i + 1]) }
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
        c.derived(winner)
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
