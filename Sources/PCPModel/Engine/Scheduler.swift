/// The engine's clocks: one virtual clock per simulated CPU, in a binary min-heap so that
/// finding the CPU furthest behind costs O(log CPUs). Ties go to the lower CPU id. Updated on
/// every operation, so its arrays are flat buffers, and each heap entry carries its CPU's
/// clock so that a sift compares entries without a second load.
struct Scheduler: ~Copyable {
    /// A heap entry: a CPU and its clock.
    struct Entry: BitwiseCopyable {
        var clock: Picoseconds
        var cpu: Int
        /// Earlier clock first; on a tie, the lower CPU id.
        @inline(__always) func before(_ o: Entry) -> Bool {
            clock.value < o.clock.value || (clock.value == o.clock.value && cpu < o.cpu)
        }
    }

    /// The heap, and each CPU's position in it.
    private let heap: FixedArray<Entry>
    private let pos: FixedArray<Int>
    let count: Int

    init(cpus: Int, start: Picoseconds) {
        count = cpus
        heap = FixedArray((0..<cpus).map { Entry(clock: start, cpu: $0) })
        pos = FixedArray(0..<cpus)
    }

    /// The CPU furthest behind, and its clock: the machine's virtual time.
    var next: Int { heap[0].cpu }
    var now: Picoseconds { heap[0].clock }
    /// The clock of the CPU furthest ahead.
    var latest: Picoseconds { heap.indices.reduce(heap[0].clock) { max($0, heap[$1].clock) } }

    subscript(cpu: Int) -> Picoseconds { heap[pos[cpu]].clock }

    /// Moves a CPU's clock (either way) and restores the heap.
    func set(_ cpu: Int, to t: Picoseconds) {
        let i = pos[cpu]
        let old = heap[i].clock
        heap[i].clock = t
        if t >= old { down(i) } else { up(i) }
    }

    /// Every CPU behind `t` idles until `t`.
    func catchUp(to t: Picoseconds) {
        for c in 0..<count where self[c] < t { set(c, to: t) }
    }

    /// Bottom-up: the hole goes down the smaller children to a leaf without comparing with the
    /// moved entry, which then rises back along that path. The path's clocks are sorted, so it
    /// stops where a plain sift-down would (the same heap, so the same ties), but a CPU that
    /// just ran, which sinks most of the way, costs one comparison a level instead of two.
    private func down(_ start: Int) {
        let e = heap[start]
        var i = start
        while true {
            let l = 2 &* i &+ 1
            guard l < count else { break }
            let r = l &+ 1
            let m = r < count && heap[r].before(heap[l]) ? r : l
            heap[i] = heap[m]
            pos[heap[i].cpu] = i
            i = m
        }
        while i > start {
            let p = (i &- 1) &>> 1
            guard e.before(heap[p]) else { break }
            heap[i] = heap[p]
            pos[heap[i].cpu] = i
            i = p
        }
        heap[i] = e
        pos[e.cpu] = i
    }

    private func up(_ start: Int) {
        let e = heap[start]
        var i = start
        while i > 0 {
            let p = (i - 1) / 2
            guard e.before(heap[p]) else { break }
            heap[i] = heap[p]
            pos[heap[i].cpu] = i
            i = p
        }
        heap[i] = e
        pos[e.cpu] = i
    }
}

extension Scheduler {
    /// The clocks and the heap as they stand (the heap's order decides ties to come).
    func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.section("scheduler")
        // Each heap entry carries its CPU's clock.
        try c.sync(heap)
        try c.sync(pos)
        for i in 0..<count where !(0..<count).contains(heap[i].cpu) || pos[heap[i].cpu] != i {
            throw CheckpointError("the CPU heap is not a heap of the machine's CPUs")
        }
    }
}
