/// Runs a workload on N simulated CPUs, one thread, in virtual-time order.
///
/// Each CPU has its own clock. The CPU furthest behind runs the next operation on the model;
/// the lock sections that operation recorded are then priced with the cost model: an
/// acquisition waits (spinning) until the lock is free, a lock last held on another CPU costs a
/// cache-line bounce, and the work inside a section adds to the hold time. pcp_spin_trylock
/// sees the locks as busy when their holder's section extends past the operation's start. The
/// result depends only on the seed, the machine, the workload and the cost model.
public final class Engine {
    public let machine: Machine
    public let cost: CostModel
    public var checkEvery: Int
    var rng: SplitMix64
    let checker = InvariantChecker()
    let startClock: Int64
    /// Operations run so far (idle steps included).
    public private(set) var operations = 0

    /// Per-CPU virtual clocks (ps), in a raw buffer: touched on every operation.
    let clock: UnsafeMutablePointer<Int64>
    let nrCPUs: Int
    let heap: CPUHeap
    let trace = LockTrace()
    let busyUntil: UnsafeMutablePointer<Int64>
    let lastCPU: UnsafeMutablePointer<Int32>
    let zoneLocks: Int

    public private(set) var zoneLock = LockStats()
    public private(set) var pcpLock = LockStats()
    let cpuZoneLock: UnsafeMutablePointer<LockStats>
    let cpuPCPLock: UnsafeMutablePointer<LockStats>
    let cpuOps: UnsafeMutablePointer<OpCounts>
    public var perCPUZoneLock: [LockStats] { Array(UnsafeBufferPointer(start: cpuZoneLock, count: nrCPUs)) }
    public var perCPUPCPLock: [LockStats] { Array(UnsafeBufferPointer(start: cpuPCPLock, count: nrCPUs)) }
    public var perCPUOps: [OpCounts] { Array(UnsafeBufferPointer(start: cpuOps, count: nrCPUs)) }
    /// Merge steps done while the innermost held lock was zone->lock / a pcp->lock.
    public private(set) var mergesUnderZoneLock = 0
    public private(set) var mergesUnderPCPLock = 0
    public private(set) var pcpPagesPeak = 0
    var pcpPagesIntegral: Double = 0
    var lastSample: Int64 = 0
    public private(set) var samples: [Sample] = []
    /// Receives the tracepoints each operation fired: CPU, time (ns), events.
    public var traceSink: ((Int, Int64, [TraceEvent]) -> Void)?
    /// Sample the time series every this many picoseconds of virtual time.
    public var sampleEvery: Int64 = 10_000_000_000

    /// Costs in picoseconds.
    let ps: (pcp: Int64, zone: Int64, list: Int64, page: Int64, merge: Int64, split: Int64, bounce: Int64, op: Int64)

    public struct OpCounts: Sendable, Equatable {
        public var allocs = 0, failedAllocs = 0, frees = 0, idles = 0
        public var pagesAllocated = 0, pagesFreed = 0
    }

    /// One point of the time series (for charts).
    public struct Sample: Sendable, Codable, Equatable {
        public var simSeconds: Double
        public var pcpPages: Int
        public var freePageblocks: Int
        public var unusableIndexOrder9: Int
        public var zoneLockAcquisitions: Int
        enum CodingKeys: String, CodingKey {
            case simSeconds = "sim_seconds", pcpPages = "pcp_pages", freePageblocks = "free_pageblocks"
            case unusableIndexOrder9 = "unusable_index_order9", zoneLockAcquisitions = "zone_lock_acquisitions"
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case invariant(InvariantViolation)
        case free(FreeError)
        public var description: String {
            switch self {
            case .invariant(let v): v.description
            case .free(let f): f.description
            }
        }
    }

    public init(machine m: Machine, seed: UInt64, cost: CostModel = CostModel(), checkEvery: Int = 0) {
        machine = m
        self.cost = cost
        self.checkEvery = checkEvery
        rng = SplitMix64(seed: seed)
        let start = m.now * 1000
        startClock = start
        nrCPUs = m.nrCPUs
        clock = .allocate(capacity: m.nrCPUs)
        clock.initialize(repeating: start, count: m.nrCPUs)
        heap = CPUHeap(clock: Array(repeating: start, count: m.nrCPUs))
        zoneLocks = m.zones.count
        busyUntil = .allocate(capacity: m.lockCount)
        busyUntil.initialize(repeating: 0, count: m.lockCount)
        lastCPU = .allocate(capacity: m.lockCount)
        lastCPU.initialize(repeating: -1, count: m.lockCount)
        cpuZoneLock = .allocate(capacity: m.nrCPUs)
        cpuZoneLock.initialize(repeating: LockStats(), count: m.nrCPUs)
        cpuPCPLock = .allocate(capacity: m.nrCPUs)
        cpuPCPLock.initialize(repeating: LockStats(), count: m.nrCPUs)
        cpuOps = .allocate(capacity: m.nrCPUs)
        cpuOps.initialize(repeating: OpCounts(), count: m.nrCPUs)
        held = .allocate(capacity: 64)
        let p = { (ns: Double) in Int64((ns * 1000).rounded()) }
        ps = (p(cost.pcpLockNs), p(cost.zoneLockNs), p(cost.listOpNs), p(cost.pageMovedNs),
              p(cost.mergeStepNs), p(cost.splitStepNs), p(cost.bounceNs), p(cost.operationNs))
        lastSample = start
        trace.busyUntil = busyUntil
        trace.lastHolder = lastCPU
        m.record(into: trace)
        m.vmstatObserver = { [unowned self] cpu in
            self.price(cpu: cpu, from: max(self.clock[cpu], self.machine.now * 1000))
            self.heap.update(cpu: cpu, key: self.clock[cpu])
            if let sink = self.traceSink, let t = self.machine.tracer { t.drain { sink(cpu, self.machine.now, $0) } }
        }
    }

    deinit {
        machine.record(into: nil)
        machine.vmstatObserver = nil
        busyUntil.deallocate()
        lastCPU.deallocate()
        clock.deallocate(); cpuZoneLock.deallocate(); cpuPCPLock.deallocate(); cpuOps.deallocate(); held.deallocate()
        heap.deallocate()
    }

    /// Virtual time of the machine in nanoseconds: the CPU furthest behind.
    public var nowNs: Int64 { heap.minKey / 1000 }
    /// Virtual seconds from the start until the last CPU finished its last operation.
    public var simSeconds: Double {
        Double(UnsafeBufferPointer(start: clock, count: nrCPUs).max()! - startClock) / 1e12
    }

    /// Runs up to `ops` operations (idle steps included) of the workload, stopping early once
    /// the slowest CPU reaches `untilNs` or the workload is finished. Returns the operations run. Can be called again to
    /// continue.
    @discardableResult
    public func run(_ w: inout Workload, ops: Int, untilNs: Int64 = .max) throws(Failure) -> Int {
        // CPUs behind the machine's clock (time passed without work) were idle until now.
        for c in 0..<nrCPUs where clock[c] < machine.now * 1000 {
            clock[c] = machine.now * 1000
            heap.update(cpu: c, key: clock[c])
        }
        var done = 0
        while done < ops && heap.minKey / 1000 < untilNs && !w.finished {
            done += 1
            operations += 1
            let n = operations
            let c = heap.minCPU
            trace.reset()
            trace.opStart = clock[w.actingCPU(asked: c) ?? c]
            let op: Operation
            do { op = try w.step(machine, cpu: c, &rng) } catch {
                throw .free(error)
            }
            count(op)
            if op.kind == .wait {
                let t = startClock + Int64(op.pfn) * 1000
                for k in 0..<nrCPUs where clock[k] < t { clock[k] = t; heap.update(cpu: k, key: t) }
            } else {
                let pc = op.cpu
                price(cpu: pc, from: clock[pc])
                if let sink = traceSink, let t = machine.tracer { t.drain { sink(pc, clock[pc] / 1000, $0) } }
                if op.kind != .idle || pc == c { clock[pc] += ps.op }
                heap.update(cpu: pc, key: clock[pc])
            }
            sample()
            // vmstat_update runs for every CPU once the slowest CPU passes an interval boundary.
            machine.advanceTime(to: max(machine.now, heap.minKey / 1000))
            if checkEvery > 0 && n % checkEvery == 0 {
                do { try checker.check(machine, after: "operation \(n) (\(op))") } catch { throw .invariant(error) }
            }
        }
        return done
    }

    /// A full invariant check now.
    public func check(after what: String) throws(InvariantViolation) { try checker.check(machine, after: what) }

    @inline(__always) func count(_ op: Operation) {
        switch op.kind {
        case .alloc:
            cpuOps[op.cpu].allocs += 1
            cpuOps[op.cpu].pagesAllocated += 1 << op.order
        case .allocFailed: cpuOps[op.cpu].failedAllocs += 1
        case .free:
            cpuOps[op.cpu].frees += 1
            cpuOps[op.cpu].pagesFreed += 1 << op.order
        case .idle, .wait: cpuOps[op.cpu].idles += 1
        }
    }

    /// Locks held while pricing one operation: (lock, since) pairs; nesting is shallow.
    let held: UnsafeMutablePointer<(lock: Int, since: Int64)>

    /// Prices the recorded lock sections of one CPU starting at `start` and moves its clock
    /// (the caller updates the heap).
    func price(cpu c: Int, from start: Int64) {
        var t = start
        var depth = 0
        for e in trace.events {
            switch LockTrace.decode(e) {
            case .acquire(let l):
                let isZone = l < zoneLocks
                var wait: Int64 = 0
                if busyUntil[l] > t { wait = busyUntil[l] - t; t = busyUntil[l] }
                let bounced = lastCPU[l] >= 0 && lastCPU[l] != Int32(c)
                if bounced { t += ps.bounce }
                t += isZone ? ps.zone : ps.pcp
                if isZone {
                    zoneLock.acquired(wait: wait, bounced: bounced, remote: false)
                    cpuZoneLock[c].acquired(wait: wait, bounced: bounced, remote: false)
                } else {
                    let remote = (l - zoneLocks) % nrCPUs != c
                    pcpLock.acquired(wait: wait, bounced: bounced, remote: remote)
                    cpuPCPLock[c].acquired(wait: wait, bounced: bounced, remote: remote)
                }
                if depth < 64 { held[depth] = (l, t); depth += 1 }
            case .release(let l):
                var k = depth - 1
                while k >= 0 && held[k].lock != l { k -= 1 }
                guard k >= 0 else { continue }
                let d = t - held[k].since
                if l < zoneLocks {
                    zoneLock.held(d); cpuZoneLock[c].held(d)
                } else {
                    pcpLock.held(d); cpuPCPLock[c].held(d)
                }
                for j in k..<(depth - 1) { held[j] = held[j + 1] }
                depth -= 1
                busyUntil[l] = t
                lastCPU[l] = Int32(c)
            case .work(let w, let n):
                let n64 = Int64(n)
                switch w {
                case .pageMoved: t += ps.page * n64
                case .mergeStep:
                    t += ps.merge * n64
                    if depth > 0 && held[depth - 1].lock < zoneLocks { mergesUnderZoneLock += n } else { mergesUnderPCPLock += n }
                case .splitStep: t += ps.split * n64
                case .listOp: t += ps.list * n64
                }
            }
        }
        trace.reset()
        clock[c] = max(clock[c], t)
    }

    /// Integrates PCP-held pages over time and records the time series.
    func sample() {
        // Summing every PCP costs zones x CPUs: do it every 256 operations, at most every
        // hundredth of a sample interval.
        guard operations & 255 == 0 else { return }
        let t = heap.minKey
        guard t - lastSample >= sampleEvery / 100 else { return }
        let pcp = machine.pcpPagesTotal
        pcpPagesIntegral += Double(pcp) * Double(t - lastSample)
        pcpPagesPeak = max(pcpPagesPeak, pcp)
        if samples.isEmpty || t - Int64(samples.last!.simSeconds * 1e12) >= sampleEvery {
            let nrFree = machine.combinedNrFree
            samples.append(Sample(simSeconds: Double(t) / 1e12, pcpPages: pcp,
                                  freePageblocks: Machine.freePageblocks(nrFree),
                                  unusableIndexOrder9: Fragmentation.unusableIndex(nrFree, order: K.pageblockOrder),
                                  zoneLockAcquisitions: zoneLock.acquisitions))
        }
        lastSample = t
    }

    public var locks: EngineLocks {
        EngineLocks(zone: zoneLock, pcp: pcpLock, perCPUZone: perCPUZoneLock, perCPUPCP: perCPUPCPLock)
    }

    /// Mean pages held on PCPs over the run's virtual time.
    public var pcpPagesMean: Double {
        lastSample > startClock ? pcpPagesIntegral / Double(lastSample - startClock) : Double(machine.pcpPagesTotal)
    }

    public var totals: OpCounts {
        UnsafeBufferPointer(start: cpuOps, count: nrCPUs).reduce(into: OpCounts()) {
            $0.allocs += $1.allocs; $0.failedAllocs += $1.failedAllocs; $0.frees += $1.frees; $0.idles += $1.idles
            $0.pagesAllocated += $1.pagesAllocated; $0.pagesFreed += $1.pagesFreed
        }
    }
}

/// A binary min-heap of CPUs keyed by their clocks (ties: the lower CPU id first), so picking
/// the CPU furthest behind costs O(log CPUs). Raw buffers: it is updated on every operation.
/// Owned by one Engine, which frees it.
struct CPUHeap {
    let keys: UnsafeMutablePointer<Int64>
    let heap: UnsafeMutablePointer<Int>
    let pos: UnsafeMutablePointer<Int>
    let count: Int

    init(clock: [Int64]) {
        count = clock.count
        keys = .allocate(capacity: count); keys.initialize(from: clock, count: count)
        heap = .allocate(capacity: count); pos = .allocate(capacity: count)
        for i in 0..<count { heap[i] = i; pos[i] = i }
        for i in stride(from: count / 2 - 1, through: 0, by: -1) { down(i) }
    }

    func deallocate() { keys.deallocate(); heap.deallocate(); pos.deallocate() }

    var minCPU: Int { heap[0] }
    var minKey: Int64 { keys[heap[0]] }

    @inline(__always) func less(_ a: Int, _ b: Int) -> Bool {
        keys[a] < keys[b] || (keys[a] == keys[b] && a < b)
    }

    func update(cpu: Int, key: Int64) {
        let old = keys[cpu]
        keys[cpu] = key
        if key >= old { down(pos[cpu]) } else { up(pos[cpu]) }
    }

    @inline(__always) func swap(_ i: Int, _ j: Int) {
        let a = heap[i], b = heap[j]
        heap[i] = b; heap[j] = a; pos[b] = i; pos[a] = j
    }

    func down(_ start: Int) {
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

    func up(_ start: Int) {
        var i = start
        while i > 0 {
            let p = (i - 1) / 2
            if !less(heap[i], heap[p]) { return }
            swap(i, p)
            i = p
        }
    }
}

extension Engine {
    /// Operations a run makes when none are asked for.
    public static let defaultOps = 100_000

    /// Runs `ops` operations, or with nil a trace replay to the end of its trace and any other
    /// workload `defaultOps`. Returns the operations run.
    @discardableResult
    public func run(_ w: inout Workload, opsOrToEnd ops: Int?) throws(Failure) -> Int {
        guard ops == nil, w is TraceReplay else { return try run(&w, ops: ops ?? Engine.defaultOps) }
        var total = 0
        while !w.finished, case let n = try run(&w, ops: 1_000_000), n > 0 { total += n }
        return total
    }
}
