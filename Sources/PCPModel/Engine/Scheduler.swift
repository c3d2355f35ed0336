/// The engine's clocks: one virtual clock per simulated CPU, in a binary min-heap so that
/// finding the CPU furthest behind costs O(log CPUs). Ties go to the lower CPU id. Updated on
/// every operation, so its arrays are flat buffers.
struct Scheduler: ~Copyable {
    /// Per CPU: its clock.
    private let clock: FixedArray<Picoseconds>
    /// The heap of CPU ids, and each CPU's position in it.
    private let heap: FixedArray<Int>
    private let pos: FixedArray<Int>
    let count: Int

    init(cpus: Int, start: Picoseconds) {
        count = cpus
        clock = FixedArray(repeating: start, count: cpus)
        heap = FixedArray(0..<cpus)
        pos = FixedArray(0..<cpus)
    }

    /// The CPU furthest behind, and its clock: the machine's virtual time.
    var next: Int { heap[0] }
    var now: Picoseconds { clock[heap[0]] }
    /// The clock of the CPU furthest ahead.
    var latest: Picoseconds { clock.indices.reduce(clock[0]) { max($0, clock[$1]) } }

    subscript(cpu: Int) -> Picoseconds { clock[cpu] }

    /// Moves a CPU's clock (either way) and restores the heap.
    func set(_ cpu: Int, to t: Picoseconds) {
        let old = clock[cpu]
        clock[cpu] = t
        if t >= old { down(pos[cpu]) } else { up(pos[cpu]) }
    }

    /// Every CPU behind `t` idles until `t`.
    func catchUp(to t: Picoseconds) {
        for c in 0..<count where clock[c] < t { set(c, to: t) }
    }

    @inline(__always) private func less(_ a: Int, _ b: Int) -> Bool {
        clock[a] < clock[b] || (clock[a] == clock[b] && a < b)
    }

    @inline(__always) private func swap(_ i: Int, _ j: Int) {
        let a = heap[i], b = heap[j]
        heap[i] = b; heap[j] = a; pos[b] = i; pos[a] = j
    }

    private func down(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < count && less(heap[l], heap[m]) { m = l }
            if r < count && less(heap[r], heap[m]) { m = r }
            if m == i { return }
            swap(i, m)
            i = m
        }
    }

    private func up(_ start: Int) {
        var i = start
        while i > 0 {
            let p = (i - 1) / 2
            if !less(heap[i], heap[p]) { return }
            swap(i, p)
            i = p
        }
    }
}

extension Scheduler {
    /// The clocks and the heap as they stand (the heap's order decides ties to come).
    func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.section("scheduler")
        try c.sync(clock)
        try c.sync(heap)
        try c.sync(pos)
        for i in 0..<count where !(0..<count).contains(heap[i]) || pos[heap[i]] != i {
            throw CheckpointError("the CPU heap is not a heap of the machine's CPUs")
        }
    }
}
