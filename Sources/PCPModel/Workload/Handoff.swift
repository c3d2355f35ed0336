/// Workloads where pages are allocated on one CPU and freed on another: the affinity
/// violations the RFC is about.

/// `jemalloc-purge`: every CPU but the purgers faults order-0 anonymous pages; after about
/// `pages` faults (a seeded 50-150%) its arena releases them to the allocator's dirty cache; the `purgers` CPUs return
/// that memory to the kernel in bursts of `burst` pages (jemalloc's background purging, the
/// RFC's motivating case). The heap (held and dirty pages) stays within `heap` percent of the
/// machine's managed memory: at that size an arena reuses a dirty page instead of faulting a
/// new one, as jemalloc does (5.3's page allocator, pac, serves an extent from its dirty cache
/// before its muzzy and retained ones and before new memory), so the machine runs at the
/// heap's size rather than at memory exhaustion. Where that heap sits is the workload's choice,
/// not a measured figure.
struct JemallocPurge: Workload {
    let name = "jemalloc-purge"
    let pages: Int, burst: Int
    /// The most pages the heap holds, faulted and dirty together.
    let heapLimit: Int
    /// Each CPU's role, arena and place in its cycle.
    let cpus: PurgeCPUs
    /// The CPU count, kept here: the buffer's header is a class's `var`, and each read of it
    /// would go through Swift's dynamic exclusivity check.
    let nrCPUs: Int
    var dirty = HeldBlocks()
    /// Memory ran out: purgers free whatever is dirty instead of waiting for a full burst.
    var starved = false
    /// Pages held and dirty: the heap's size (derived, not checkpointed).
    var heapPages = 0

    init(_ m: Machine, _ cpus: CPUSet, purgers: Int, pages: Int, burst: Int, heapPercent: Int) {
        let p = Set(cpus.cpus.suffix(purgers)), inSet = Set(cpus.cpus)
        self.cpus = PurgeCPUs.create(minimumCapacity: m.nrCPUs) { _ in m.nrCPUs } as! PurgeCPUs
        self.cpus.withUnsafeMutablePointerToElements { all in
            for c in 0..<m.nrCPUs {
                let role: PurgeCPUs.Role = !inSet.contains(c) ? .outside : p.contains(c) ? .purger : .faulter
                (all + c).initialize(to: PurgeCPUs.CPU(role: role))
            }
        }
        nrCPUs = m.nrCPUs
        self.pages = pages
        self.burst = burst
        heapLimit = m.zones.reduce(0) { $0 + $1.managed } * heapPercent / 100
    }

    mutating func step(_ m: Machine, cpu: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation {
        precondition(cpu >= 0 && cpu < nrCPUs)
        return try cpus.withUnsafeMutablePointerToElements { (all) throws(FreeError) -> Operation in
            let c = all + cpu
            switch c.pointee.role {
            case .outside: return .idle(cpu)
            case .purger: return try purge(m, cpu: cpu, c)
            case .faulter: return fault(m, cpu: cpu, c, &rng)
            }
        }
    }

    /// A purger's step: the next page of its burst back to the kernel (MADV_DONTNEED).
    @inline(__always) mutating func purge(_ m: Machine, cpu: Int, _ c: UnsafeMutablePointer<PurgeCPUs.CPU>) throws(FreeError) -> Operation {
        if c.pointee.burstLeft == 0 {
            guard dirty.count >= burst || (starved && dirty.count > 0) else { return .idle(cpu) }
            c.pointee.burstLeft = min(burst, dirty.count)
            starved = false
        }
        // Purgers share the dirty pool: another one may have freed the rest of this burst.
        guard dirty.count > 0 else { c.pointee.burstLeft = 0; return .idle(cpu) }
        c.pointee.burstLeft -= 1
        let (r, o) = dirty.removeLast()
        heapPages -= 1 << o
        return try m.freeOp(cpu: cpu, r, order: o)
    }

    /// An arena's step: a page for the application, reused from the dirty pool once the heap
    /// is at its limit, faulted otherwise; at the cycle's end the arena releases its pages.
    @inline(__always) mutating func fault(_ m: Machine, cpu: Int, _ c: UnsafeMutablePointer<PurgeCPUs.CPU>, _ rng: inout SplitMix64) -> Operation {
        if c.pointee.cycle == 0 { c.pointee.cycle = max(1, pages / 2 + rng.below(max(1, pages))) }
        var op = Operation.user(cpu)
        if heapPages >= heapLimit && dirty.count > 0 {
            // The arena reuses a dirty page: still mapped, so no fault, only user time.
            c.pointee.held.moveLast(from: &dirty, m)
        } else {
            op = m.allocOp(cpu: cpu, order: 0, kind: .anon, into: &c.pointee.held)
            if op.kind == .allocFailed { starved = true } else { heapPages += 1 }
        }
        if c.pointee.held.count >= c.pointee.cycle || (op.kind == .allocFailed && c.pointee.held.count > 0) {
            dirty.absorb(&c.pointee.held, m)
            c.pointee.cycle = 0
        }
        return op.kind == .allocFailed ? .idle(cpu) : op
    }
}

/// jemalloc-purge's per-CPU state in one buffer behind one reference: a step reads and writes
/// its CPU's fields in place, where arrays of them checked their bounds on every access and
/// their uniqueness on every write (about 40 instructions an operation). The header is the
/// CPU count.
final class PurgeCPUs: ManagedBuffer<Int, PurgeCPUs.CPU> {
    enum Role: UInt8 { case outside, faulter, purger }
    struct CPU {
        let role: Role
        /// The arena's faulted and reused pages.
        var held = HeldBlocks()
        /// Faults before the arena's next release (0: the next step draws a new cycle).
        var cycle = 0
        /// Pages left in a purger's current burst.
        var burstLeft = 0
        init(role: Role) { self.role = role }
    }

    deinit { _ = withUnsafeMutablePointers { n, e in e.deinitialize(count: n.pointee) } }
}

/// `one-allocator`: the first CPU allocates for everybody (a refiller, an rx CPU), handing
/// pages round-robin to the others, which free them: Weiner's named worst case for ownership.
struct OneAllocator: Workload {
    let name = "one-allocator"
    let allocator: Int
    let consumers: [Int]
    let inFlight: Int
    var queue: [HeldBlocks]
    var next = 0

    init(_ m: Machine, _ cpus: CPUSet, inFlight: Int) {
        allocator = cpus.cpus[0]
        consumers = Array(cpus.cpus.dropFirst())
        self.inFlight = inFlight
        queue = Array(repeating: HeldBlocks(), count: m.nrCPUs)
    }

    mutating func step(_ m: Machine, cpu: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation {
        if cpu == allocator {
            guard !consumers.isEmpty else { return .idle(cpu) }
            for _ in consumers.indices {
                let c = consumers[next % consumers.count]
                next += 1
                if queue[c].count < inFlight { return m.allocOp(cpu: cpu, order: 0, kind: .anon, into: &queue[c]) }
            }
            return .idle(cpu)
        }
        guard queue[cpu].count > 0 else { return .idle(cpu) }
        let (r, o) = queue[cpu].removeFirstish()
        return try m.freeOp(cpu: cpu, r, order: o)
    }
}

/// `producer-consumer`: network-buffer style. The first half of the CPUs allocate buffers
/// atomically (GFP_ATOMIC, unmovable), each handing them to its partner in the second half,
/// which frees them.
struct ProducerConsumer: Workload {
    let name = "producer-consumer"
    let partner: [Int]
    let isProducer: [Bool]
    let order: Int, queue: Int
    var inFlight: [HeldBlocks]

    init(_ m: Machine, _ cpus: CPUSet, order: Int, queue: Int) {
        let half = max(1, cpus.count / 2)
        var partner = Array(repeating: -1, count: m.nrCPUs), producer = Array(repeating: false, count: m.nrCPUs)
        for k in 0..<(cpus.count - half) {
            let p = cpus.cpus[k], c = cpus.cpus[half + k]
            partner[p] = c
            partner[c] = p
            producer[p] = true
        }
        self.partner = partner
        isProducer = producer
        self.order = order
        self.queue = queue
        inFlight = Array(repeating: HeldBlocks(), count: m.nrCPUs)
    }

    mutating func step(_ m: Machine, cpu: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation {
        guard partner[cpu] >= 0 else { return .idle(cpu) }
        if isProducer[cpu] {
            guard inFlight[cpu].count < queue else { return .idle(cpu) }
            return m.allocOp(cpu: cpu, order: order, kind: .kernel, atomic: true, into: &inFlight[cpu])
        }
        let p = partner[cpu]
        guard inFlight[p].count > 0 else { return .idle(cpu) }
        let (r, o) = inFlight[p].removeFirstish()
        return try m.freeOp(cpu: cpu, r, order: o)
    }
}

extension HeldBlocks {
    /// An old entry, cheaply: the first one, replaced by the last (queues here need only
    /// "older first", not strict FIFO).
    mutating func removeFirstish() -> (PageRef, Int) { swapRemove(0) }
}
