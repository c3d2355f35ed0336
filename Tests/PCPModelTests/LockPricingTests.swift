import XCTest
@testable import PCPModel

/// The engine prices its operations' lock sections as they happen; a trace replay and the
/// vmstat_update rounds record them and price them afterwards. Both must give the same times
/// and lock_stat figures, and pcp_spin_trylock must see the locks as they stood at the start of
/// the operation either way.
final class LockPricingTests: XCTestCase {
    let m = try! Machine(spec: .x86(memory: 128 << 20, cpus: 3))

    /// One operation's events: lock sections opened and closed in any order, work of every
    /// kind, memory stalls.
    enum Event { case acquire(Int), release(Int), work(LockTrace.Work, Int), stall(Bool) }

    func events(_ rng: inout SplitMix64) -> [Event] {
        var out: [Event] = [], held: [Int] = []
        for _ in 0..<(1 + rng.below(12)) {
            switch rng.below(5) {
            case 0 where held.count < 4:
                let l = rng.below(m.lockCount)
                if !held.contains(l) { held.append(l); out.append(.acquire(l)) }
            case 1 where !held.isEmpty:
                out.append(.release(held.remove(at: rng.below(held.count))))
            case 2: out.append(.stall(rng.below(2) == 0))
            default: out.append(.work(LockTrace.Work.allCases[rng.below(LockTrace.Work.allCases.count)], 1 + rng.below(70)))
            }
        }
        return out + held.reversed().map { .release($0) }
    }

    func play(_ e: [Event], on t: LockTrace) {
        for x in e {
            switch x {
            case .acquire(let l): t.acquire(l)
            case .release(let l): t.release(l)
            case .work(let w, let n): t.work(w, n)
            case .stall(let enter): t.memstall(enter: enter)
            }
        }
    }

    func testPricedAsTheyHappenMatchesPricedAfter() {
        let armed = LockPricer(machine: m, cost: CostModel()), recorded = LockPricer(machine: m, cost: CostModel())
        let a = LockTrace(pricer: armed), r = LockTrace(pricer: recorded)
        var rng = SplitMix64(seed: 11)
        var clocks = [Picoseconds](repeating: .zero, count: m.nrCPUs)
        for op in 0..<20_000 {
            let cpu = rng.below(m.nrCPUs), e = events(&rng)
            a.begin(cpu: cpu, at: clocks[cpu])
            play(e, on: a)
            let ta = a.end()
            play(e, on: r)
            let tr = recorded.price(r, cpu: cpu, from: clocks[cpu])
            XCTAssertEqual(ta, tr, "operation \(op)")
            XCTAssertEqual(armed.memstall, recorded.memstall, "operation \(op)")
            clocks[cpu] = ta
        }
        XCTAssertEqual(armed.busyUntil.elements, recorded.busyUntil.elements)
        XCTAssertEqual(armed.lastCPU.elements, recorded.lastCPU.elements)
        XCTAssertEqual(armed.perCPUZone.elements, recorded.perCPUZone.elements)
        XCTAssertEqual(armed.perCPUPCP.elements, recorded.perCPUPCP.elements)
        XCTAssertEqual(armed.mergesUnderZoneLock, recorded.mergesUnderZoneLock)
        XCTAssertEqual(armed.mergesUnderPCPLock, recorded.mergesUnderPCPLock)
        XCTAssertGreaterThan(armed.zone.contentions + armed.pcp.contentions, 0, "the sequences never contend")
    }

    /// CPU 1 holds CPU 0's pcp->lock until long after CPU 0's operation starts. CPU 0's trylock
    /// fails, and keeps failing after the operation itself took and released the lock (an
    /// allocation that drained and retried), but succeeds at its next operation's start.
    func testTrylockSeesTheLocksAsTheyStoodAtTheStart() {
        let pricer = LockPricer(machine: m, cost: CostModel()), t = LockTrace(pricer: pricer)
        let lock = m.zones.count
        t.begin(cpu: 1, at: .zero)
        t.acquire(lock)
        t.work(.listOp, 1000)
        t.release(lock)
        let held = t.end()
        t.begin(cpu: 0, at: .zero)
        XCTAssertFalse(t.trylock(lock, by: 0))
        t.acquire(lock)
        t.release(lock)
        XCTAssertFalse(t.trylock(lock, by: 0))
        XCTAssertTrue(t.trylock(lock, by: 1), "the holder at the start may take it")
        let next = t.end()
        XCTAssertGreaterThan(next, held)
        t.begin(cpu: 0, at: held)
        XCTAssertTrue(t.trylock(lock, by: 0), "CPU 0 held it last")
        XCTAssertFalse(t.trylock(lock, by: 2), "CPU 0's section ends after this start")
        _ = t.end()
    }
}
