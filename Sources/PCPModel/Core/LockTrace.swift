/// The lock sections one operation goes through and the work done inside them, for the engine
/// to price in virtual time. While the engine runs an operation it arms the trace, and each
/// section is priced as it happens; outside (a vmstat_update round, a knob's drain, a trace
/// replay's step) the events are recorded and priced afterwards, in the same order, by the
/// same code. The model itself never looks at time: it only asks whether a lock is free at
/// the start of the operation (pcp_spin_trylock), which the engine answers from its own
/// schedule.
public final class LockTrace {
    /// Work the cost model prices.
    public enum Work: UInt64, Sendable, CaseIterable {
        /// A block moved between a PCP and the buddy (or handed out) under zone->lock, per base page.
        case pageMoved = 0
        /// One buddy merge step.
        case mergeStep
        /// One split step (expand).
        case splitStep
        /// One PCP list insertion or removal.
        case listOp
        /// One page examined by a compaction scanner.
        case pageScanned
        /// One base page migrated: copy, unmap and remap.
        case pageMigrated
    }

    /// Packed events: kind in the top 2 bits (0 acquire, 1 release, 2 work, 3 memstall
    /// enter/leave), payload below.
    /// Appended to on every lock operation while not armed; doubled when full.
    @exclusivity(unchecked) private(set) var buffer = FixedArray<UInt64>(zeroed: 4096)
    @exclusivity(unchecked) public private(set) var count = 0
    /// Answers pcp_spin_trylock from the engine's schedule.
    let pricer: LockPricer
    /// The operation's start time in the engine's clock.
    @exclusivity(unchecked) var opStart = Picoseconds.zero

    /// Whether the engine is running an operation whose events go straight to the pricer.
    @exclusivity(unchecked) private(set) var armed = false

    init(pricer: LockPricer) { self.pricer = pricer }

    /// The engine starts an operation of `cpu` at `t`: its events are priced as they come.
    @inline(__always) func begin(cpu: Int, at t: Picoseconds) {
        opStart = t
        armed = true
        pricer.begin(cpu: cpu, at: t)
    }

    /// The operation is over; returns when its last section ended.
    @inline(__always) func end() -> Picoseconds {
        armed = false
        return pricer.end()
    }

    /// Where the run of work entries since the last lock or stall event begins. Work inside
    /// such a run is priced as a sum under the same held locks, so each kind takes one entry
    /// (a drain of 63 pages records 2 entries, not 126).
    @exclusivity(unchecked) private var workRun = 0

    @inline(__always) func append(_ e: UInt64) {
        if count == buffer.count { buffer = buffer.grown(to: count * 2, filling: 0) }
        buffer[count] = e
        count += 1
    }

    @inline(__always) func acquire(_ lock: Int) {
        if armed { return pricer.acquire(lock) }
        append(LockTrace.acquireKind << 62 | UInt64(lock))
        workRun = count
    }
    @inline(__always) func release(_ lock: Int) {
        if armed { return pricer.release(lock) }
        append(LockTrace.releaseKind << 62 | UInt64(lock))
        workRun = count
    }
    @inline(__always) func work(_ w: Work, _ n: Int) {
        guard n > 0 else { return }
        if armed { return pricer.work(Int(w.rawValue), n) }
        let tag = LockTrace.workKind << 62 | w.rawValue << LockTrace.workShift
        var k = workRun
        while k < count {
            let e = buffer[k]
            if e & ~LockTrace.amountMask == tag && e & LockTrace.amountMask < 1 << 47 && n < 1 << 47 {
                buffer[k] = e &+ UInt64(n)
                return
            }
            k &+= 1
        }
        append(tag | UInt64(n))
    }

    /// A memory-stall marker (psi_memstall_enter / leave): the time priced between an enter
    /// and a leave is a memory stall of the operation's CPU.
    @inline(__always) func memstall(enter: Bool) {
        if armed { return pricer.stall(enter: enter) }
        append(LockTrace.memstallKind << 62 | (enter ? 0 : 1))
        workRun = count
    }

    /// pcp_spin_trylock() by `cpu`: fails when another CPU holds the lock at the operation's
    /// start (a CPU never contends with its own earlier sections).
    @inline(__always) func trylock(_ lock: Int, by cpu: Int) -> Bool {
        pricer.wasFree(lock, at: opStart, for: cpu)
    }

    @inline(__always) public func reset() { count = 0; workRun = 0 }

    /// An entry's kind (the top 2 bits) and payload below: a lock id, a Work and its amount,
    /// or 0 for a stall's enter and 1 for its leave.
    static let acquireKind: UInt64 = 0, releaseKind: UInt64 = 1, workKind: UInt64 = 2, memstallKind: UInt64 = 3
    static let lockMask: UInt64 = 1 << 62 - 1
    /// A work entry: the Work's raw value from bit 48, the amount below.
    static let workShift: UInt64 = 48
    static let amountMask: UInt64 = 1 << 48 - 1
}

/// A zone's handle on the engine's LockTrace, unretained: the engine that owns the trace
/// clears every zone's handle before the trace goes (`Machine.record(into:)`), so recording a
/// lock section costs no reference counting (a retain and release of the trace per section
/// were a tenth of a 256-CPU run). Without a trace every call does nothing.
struct TraceHandle {
    private let ref: Unmanaged<LockTrace>?

    init(_ t: LockTrace?) { ref = t.map { Unmanaged.passUnretained($0) } }

    /// `@inline(always)`: under `@inline(__always)` the size of a priced acquisition kept this
    /// out of line, a call for every pcp->lock even with no trace (where only the test runs).
    @inline(always) func acquire(_ lock: Int) { ref?._withUnsafeGuaranteedRef { $0.acquire(lock) } }
    @inline(__always) func release(_ lock: Int) { ref?._withUnsafeGuaranteedRef { $0.release(lock) } }
    @inline(__always) func work(_ w: LockTrace.Work, _ n: Int) { ref?._withUnsafeGuaranteedRef { $0.work(w, n) } }
    @inline(__always) func memstall(enter: Bool) { ref?._withUnsafeGuaranteedRef { $0.memstall(enter: enter) } }
    /// pcp_spin_trylock(); always succeeds when nothing prices the locks.
    @inline(__always) func trylock(_ lock: Int, by cpu: Int) -> Bool {
        ref?._withUnsafeGuaranteedRef { $0.trylock(lock, by: cpu) } ?? true
    }
}
