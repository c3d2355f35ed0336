/// Turns the lock sections an operation goes through into virtual time and lock_stat figures,
/// as they happen (the engine's operations) or from a recorded trace (`price`).
///
/// An acquisition waits (spinning) until the lock is free, a lock last held on another CPU
/// costs a cache-line bounce, and the work inside a section adds to the hold time. Each lock
/// remembers when it becomes free and which CPU held it last; pcp_spin_trylock asks the same.
final class LockPricer {
    /// The cost model in picoseconds.
    struct Costs {
        let pcp, zone, list, page, merge, split, bounce, op, scan, migrate: Picoseconds
        init(_ c: CostModel) {
            pcp = Picoseconds(roundingNs: c.pcpLockNs); zone = Picoseconds(roundingNs: c.zoneLockNs)
            list = Picoseconds(roundingNs: c.listOpNs); page = Picoseconds(roundingNs: c.pageMovedNs)
            merge = Picoseconds(roundingNs: c.mergeStepNs); split = Picoseconds(roundingNs: c.splitStepNs)
            bounce = Picoseconds(roundingNs: c.bounceNs); op = Picoseconds(roundingNs: c.operationNs)
            scan = Picoseconds(roundingNs: c.pageScannedNs); migrate = Picoseconds(roundingNs: c.pageMigratedNs)
        }
    }

    /// A lock held while pricing, and since when.
    struct Held: BitwiseCopyable {
        var lock: Int
        var since: Picoseconds
    }

    let costs: Costs
    let nrCPUs: Int
    /// Lock ids below this are zone->locks; the rest are pcp->locks (zone * CPUs + cpu after them).
    let zoneLocks: Int
    /// Per lock: when it becomes free, and the CPU that held it last (-1: none yet).
    let busyUntil: FixedArray<Picoseconds>
    let lastCPU: FixedArray<Int32>
    /// Locks held while pricing one operation; nesting is shallow.
    let held = FixedArray(repeating: Held(lock: 0, since: .zero), count: 64)

    /// Each Work's cost, by raw value.
    let workCost: FixedArray<Picoseconds>
    /// Per pcp->lock: the CPU whose PCP it guards (zone->locks: -1).
    let lockCPU: FixedArray<Int32>

    let perCPUZone: FixedArray<LockStats>
    let perCPUPCP: FixedArray<LockStats>
    /// Each class's figures, derived from its CPUs' when read, so that pricing a section
    /// updates one set of figures rather than two.
    var zone: LockStats { LockStats(combining: perCPUZone) }
    var pcp: LockStats { LockStats(combining: perCPUPCP) }
    /// Merge steps done while the innermost held lock was zone->lock / a pcp->lock.
    @exclusivity(unchecked) private(set) var mergesUnderZoneLock = 0
    @exclusivity(unchecked) private(set) var mergesUnderPCPLock = 0

    init(machine m: Machine, cost: CostModel) {
        costs = Costs(cost)
        nrCPUs = m.nrCPUs
        zoneLocks = m.zones.count
        let c = costs
        workCost = FixedArray(LockTrace.Work.allCases.map { w in
            switch w {
            case .pageMoved: c.page
            case .mergeStep: c.merge
            case .splitStep: c.split
            case .listOp: c.list
            case .pageScanned: c.scan
            case .pageMigrated: c.migrate
            }
        })
        lockCPU = FixedArray((0..<m.lockCount).map { l in l < m.zones.count ? -1 : Int32((l - m.zones.count) % m.nrCPUs) })
        busyUntil = FixedArray(repeating: .zero, count: m.lockCount)
        lastCPU = FixedArray(repeating: -1, count: m.lockCount)
        perCPUZone = FixedArray(repeating: LockStats(), count: m.nrCPUs)
        perCPUPCP = FixedArray(repeating: LockStats(), count: m.nrCPUs)
    }

    /// The operation being priced: its CPU, the time it has reached, how many locks it holds
    /// (in `held`), and where its memory stall began.
    @exclusivity(unchecked) private var opCPU = 0
    @exclusivity(unchecked) private var opTime = Picoseconds.zero
    @exclusivity(unchecked) private var opDepth = 0
    @exclusivity(unchecked) private var opStallStart: Picoseconds?
    /// Memory stall time of the last priced operation (psi_memstall_enter to leave).
    @exclusivity(unchecked) private(set) var memstall = Picoseconds.zero

    /// pcp_spin_trylock asks about the locks as they stood when the operation started, but an
    /// operation priced as it runs has already moved the locks it released: each release of a
    /// pcp->lock logs the lock's state before it, and the first entry for a lock is its state
    /// at the start. The model never trylocks zone->lock (the kernel does only on its nolock
    /// paths, ALLOC_NOLOCK and FPI_NOLOCK, which it does not model). A small log kept hot,
    /// rather than a mark per lock beside the locks' own arrays.
    struct Before: BitwiseCopyable {
        var lock: Int32
        var lastCPU: Int32
        var busyUntil: Picoseconds
    }
    @exclusivity(unchecked) private var before = FixedArray(repeating: Before(lock: 0, lastCPU: -1, busyUntil: .zero), count: 64)
    @exclusivity(unchecked) private var beforeCount = 0

    /// Whether `cpu` could take `lock` at `t`, the operation's start (what pcp_spin_trylock
    /// asks): it was free, or its last section was this CPU's.
    @inline(__always) func wasFree(_ lock: Int, at t: Picoseconds, for cpu: Int) -> Bool {
        assert(lock >= zoneLocks, "zone->lock \(lock) trylocked: its releases are not logged")
        var k = 0
        while _slowPath(k < beforeCount) {
            if before[k].lock == Int32(lock) { return before[k].busyUntil <= t || before[k].lastCPU == Int32(cpu) }
            k &+= 1
        }
        return busyUntil[lock] <= t || lastCPU[lock] == Int32(cpu)
    }

    /// Starts pricing an operation of CPU `c` from `start`.
    @inline(__always) func begin(cpu c: Int, at start: Picoseconds) {
        opCPU = c
        opTime = start
        opDepth = 0
        opStallStart = nil
        memstall = .zero
        beforeCount = 0
    }

    /// The operation is priced; returns when its last section ended.
    @inline(__always) func end() -> Picoseconds {
        beforeCount = 0
        return opTime
    }

    /// An acquisition: spins until the lock is free, pays a bounce when another CPU held it
    /// last, then the lock's own cost.
    @inline(__always) func acquire(_ l: Int) {
        let c = opCPU
        var t = opTime
        let isZone = l < zoneLocks
        var wait = Picoseconds.zero
        if busyUntil[l] > t { wait = busyUntil[l] - t; t = busyUntil[l] }
        let bounced = lastCPU[l] >= 0 && lastCPU[l] != Int32(c)
        if bounced { t += costs.bounce }
        t += isZone ? costs.zone : costs.pcp
        if isZone {
            perCPUZone[c].acquired(wait: wait, bounced: bounced, remote: false)
        } else {
            perCPUPCP[c].acquired(wait: wait, bounced: bounced, remote: Int(lockCPU[l]) != c)
        }
        if opDepth < held.count { held[opDepth] = Held(lock: l, since: t); opDepth += 1 }
        opTime = t
    }

    /// A release: the hold time counts, and the lock is busy until now, last held here.
    @inline(__always) func release(_ l: Int) {
        // Almost always the innermost lock: then nothing moves down the stack.
        let top = opDepth &- 1
        var k = top
        while k >= 0 && held[k].lock != l { k &-= 1 }
        guard k >= 0 else { return }
        let t = opTime
        let d = t - held[k].since
        while k < top { held[k] = held[k &+ 1]; k &+= 1 }
        opDepth = top
        if l < zoneLocks {
            perCPUZone[opCPU].held(d)
        } else {
            perCPUPCP[opCPU].held(d)
            if beforeCount == before.count { before = before.grown(to: beforeCount * 2, filling: before[0]) }
            before[beforeCount] = Before(lock: Int32(l), lastCPU: lastCPU[l], busyUntil: busyUntil[l])
            beforeCount &+= 1
        }
        busyUntil[l] = t
        lastCPU[l] = Int32(opCPU)
    }

    /// `n` units of work `w` (a LockTrace.Work raw value) inside the held locks.
    @inline(__always) func work(_ w: Int, _ n: Int) {
        opTime += workCost[w] * n
        if w == Int(LockTrace.Work.mergeStep.rawValue) {
            if opDepth > 0 && held[opDepth - 1].lock < zoneLocks { mergesUnderZoneLock += n } else { mergesUnderPCPLock += n }
        }
    }

    /// psi_memstall_enter / leave: the time priced in between is a memory stall.
    @inline(__always) func stall(enter: Bool) {
        if enter {
            opStallStart = opTime
        } else if let s = opStallStart {
            memstall += opTime - s
            opStallStart = nil
        }
    }

    /// Prices the events `trace` recorded while not armed, run by CPU `c` from `start`;
    /// returns when its last section ended.
    func price(_ trace: LockTrace, cpu c: Int, from start: Picoseconds) -> Picoseconds {
        begin(cpu: c, at: start)
        for k in 0..<trace.count {
            let e = trace.buffer[k]
            switch e >> 62 {
            case LockTrace.acquireKind: acquire(Int(e))
            case LockTrace.releaseKind: release(Int(e & LockTrace.lockMask))
            case LockTrace.workKind: work(Int(e >> LockTrace.workShift & 0x3FFF), Int(e & LockTrace.amountMask))
            default: stall(enter: e & 1 == 0)
            }
        }
        trace.reset()
        return end()
    }
}

extension LockPricer {
    /// When each lock frees and who held it last, and the lock_stat sums. `held`, the
    /// operation's fields, the locks' states before it and `memstall` live only while one
    /// operation is priced; the cost table and the locks' CPUs come from the cost model and
    /// the machine's shape.
    func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.section("locks")
        try c.sync(busyUntil)
        try c.sync(lastCPU)
        // The class sums stay in the format; a restore checks them against the CPUs' figures.
        var zone = self.zone, pcp = self.pcp
        try c.sync(&zone)
        try c.sync(&pcp)
        try c.sync(perCPUZone)
        try c.sync(perCPUPCP)
        if !c.isSaving && (zone != self.zone || pcp != self.pcp) {
            throw CheckpointError("the lock_stat class sums differ from the sums of the per-CPU figures")
        }
        try c.sync(&mergesUnderZoneLock)
        try c.sync(&mergesUnderPCPLock)
        c.derived(held)
        c.derived(before)
        c.derived(workCost)
        c.derived(lockCPU)
    }
}

extension LockStats: RawCheckpointValue {}
