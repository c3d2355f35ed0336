import XCTest
@testable import PCPModel

/// Every workload runs under every policy with the invariants intact, and does what it says.
final class WorkloadTests: XCTestCase {
    func run(_ name: String, _ p: Policy, params: [String: String] = [:], ops: Int = 6000, check: Int = 50) throws -> (Machine, Engine) {
        let m = try Machine(spec: .x86(memory: 128 << 20, cpus: 4))
        m.setPolicy(p)
        var w = try Workloads.make(name, machine: m, params: params)
        let e = Engine(machine: m, seed: 3, checkEvery: check)
        try e.run(&w, ops: ops)
        try e.check(after: "the end")
        return (m, e)
    }

    func testEveryWorkloadUnderEveryPolicy() throws {
        for w in Workloads.names.filter({ $0 != "mix:A+B" }) + ["mix:jemalloc-purge+kbuild"] {
            for p in Policy.allCases {
                let (_, e) = try run(w, p)
                XCTAssertGreaterThan(e.totals.allocs, 0, "\(w) under \(p.rawValue) allocated nothing")
            }
        }
    }

    /// `random` asks for a free's lines three steps ahead from guesses that slide a step at a
    /// time: each step ends where the step before guessed, and the slot
    /// guessed for the next free is the one it takes. A guess that never stood would cost its
    /// replay and prefetch the wrong lines without changing any output.
    func testRandomGuessesTheNextStep() throws {
        let m = try Machine(spec: .x86(memory: 128 << 20, cpus: 4))
        var w = RandomMix(machine: m)
        var rng = SplitMix64(seed: 5)
        var stood = 0, frees = 0, freesGuessed = 0
        for n in 0..<20_000 {
            // Guessed a step ago: this step, and where the step after it starts.
            let expected = w.expected, slot = w.ahead[0].slot
            let guessedPFN = n > 0 && slot >= 0 && slot < w.held.count ? m.pfn(of: w.held.entry(slot).ref) : -1
            let op = try w.step(m, cpu: n % 4, &rng)
            guard n > 0 else { continue }
            if expected == RandomMix.Guess.Start(rng: rng, count: w.held.count, pages: w.held.pages) { stood += 1 }
            if op.kind == .free {
                frees += 1
                if op.pfn == guessedPFN { freesGuessed += 1 }
            }
        }
        // A step whose allocation failed, or reclaimed held folios, ends elsewhere: a few in
        // this small machine's 20,000.
        XCTAssertGreaterThan(stood, 19_999 * 99 / 100, "steps end where the step before guessed")
        XCTAssertGreaterThan(frees, 5_000)
        XCTAssertGreaterThan(freesGuessed, frees * 99 / 100, "the free guessed a step ahead is the one taken")
    }

    /// A `random` step makes the draws it would make with no guesses at all: its guess's when
    /// the guess started where the step starts, the generator's otherwise. Seeded 0, the run
    /// starts at an all-zero generator with nothing held, which the empty guesses must not
    /// pass for; guesses made from elsewhere (as a restore or a reclaim leaves them), and a
    /// slide onto them, must change no draw.
    func testRandomStepDrawsAsWithoutGuesses() throws {
        let m = try Machine(spec: .x86(memory: 128 << 20, cpus: 4))
        var w = RandomMix(machine: m)
        var rng = SplitMix64(seed: 0)
        var stale = 0
        for n in 0..<20_000 {
            if n % 7 == 3 {
                // Guesses from another generator: this step's, and the next one's, onto which
                // this step's prefetchAhead slides when the step ends where it was expected to.
                let elsewhere = RandomMix.Guess.Start(rng: SplitMix64(seed: UInt64(n)), count: w.held.count, pages: w.held.pages)
                w.ahead[0] = w.guess(from: elsewhere)
                w.ahead[1] = w.guess(from: elsewhere)
                stale += 1
            }
            var direct = rng
            let allocates = w.allocates(count: w.held.count, pages: w.held.pages, &direct)
            let order = allocates ? w.allocation(&direct).order : -1
            let slot = allocates ? -1 : direct.below(w.held.count)
            let pfn = slot >= 0 ? m.pfn(of: w.held.entry(slot).ref) : -1
            let op = try w.step(m, cpu: n % 4, &rng)
            XCTAssertEqual(rng, direct, "step \(n) (\(op)) left the generator elsewhere")
            if allocates {
                XCTAssertTrue(op.kind == .alloc || op.kind == .allocFailed, "step \(n): \(op), not an allocation")
                XCTAssertEqual(op.order, order, "step \(n): \(op)")
            } else {
                XCTAssertEqual(op.kind, .free, "step \(n): \(op), not a free")
                XCTAssertEqual(op.pfn, pfn, "step \(n) freed another block than its draw's")
            }
        }
        XCTAssertGreaterThan(stale, 2_000)
    }

    func testJemallocPurgeFreesOnThePurgers() throws {
        let (_, e) = try run("jemalloc-purge", .baseline, params: ["purgers": "1", "pages": "256", "burst": "256"], check: 0)
        XCTAssertEqual(e.perCPUOps[3].allocs, 0, "the purger only frees")
        XCTAssertGreaterThan(e.perCPUOps[3].frees, 0)
        XCTAssertEqual(e.perCPUOps[0].frees, 0, "allocating CPUs never free")
    }

    /// Without a bound the faulting CPUs outrun the purger until memory runs out; at `heap`
    /// percent of memory the arenas reuse dirty pages, and the purger's frees and the refaults
    /// behind them go on at that size.
    func testJemallocPurgeHeapStaysAtItsLimit() throws {
        let m = try Machine(spec: .x86(memory: 128 << 20, cpus: 4))
        var w = try Workloads.make("jemalloc-purge", machine: m, params: ["heap": "25", "pages": "256", "burst": "256"])
        let limit = m.zones.reduce(0) { $0 + $1.managed } / 4
        let e = Engine(machine: m, seed: 3)
        var peak = 0
        for _ in 0..<100 {
            try e.run(&w, ops: 2000)
            peak = max(peak, m.allocatedPages)
        }
        try e.check(after: "the end")
        // Three faulting CPUs may each hold up to 1.5 x `pages` beyond the limit while the dirty pool is empty.
        XCTAssertGreaterThan(peak, limit - 3 * 384)
        XCTAssertLessThanOrEqual(peak, limit + 3 * 384)
        XCTAssertGreaterThan(e.perCPUOps[3].frees, 2 * limit, "the purger keeps freeing at the limit")
        XCTAssertEqual(m.allocFailures, 0)
        // An arena reusing dirty pages is running: user time, not idle.
        let times = e.cpuTimes
        XCTAssertGreaterThan(times.userNs[0], times.elapsedNs / 2)
    }

    func testOneAllocatorUnderPCPBuddyRoutesEveryFreeHome() throws {
        let (m, e) = try run("one-allocator", .pcpBuddy, check: 0)
        XCTAssertEqual(e.perCPUOps[0].frees, 0)
        let buddy = m.driver as! PCPBuddy
        let routed = m.zones.reduce(0) { $0 + buddy.owned.routedFrees[$1.id] }
        // CPU 0 never frees, so every free of a page in an owned block goes to another CPU's
        // PCP; pages phases 2-3 cached without ownership are freed locally.
        XCTAssertGreaterThan(routed, e.totals.frees / 2)
        XCTAssertGreaterThanOrEqual(e.pcpLock.remoteAcquisitions, routed)
    }

    func testContigReportsAttemptsAndStrandedPages() throws {
        let (m, _) = try run("contig", .baseline, params: ["every": "200"], check: 0)
        XCTAssertGreaterThan(m.contig.attempts, 5)
        XCTAssertLessThanOrEqual(m.contig.successes, m.contig.attempts)
    }

    func testTHPFaultsAreCounted() throws {
        let (m, _) = try run("thp", .baseline, check: 0)
        XCTAssertGreaterThan(m.events[VMEvent.thpFaultAlloc.rawValue], 0)
    }

    func testBadParametersAreRefused() throws {
        let m = try Machine(spec: .x86(memory: 128 << 20, cpus: 4))
        XCTAssertThrowsError(try Workloads.make("jemalloc-purge", machine: m, params: ["purgrs": "2"])) { e in
            XCTAssertTrue("\(e)".contains("unknown parameter 'purgrs'"), "\(e)")
        }
        XCTAssertThrowsError(try Workloads.make("thp", machine: m, params: ["thps": "-1"]))
        XCTAssertThrowsError(try Workloads.make("nope", machine: m))
        XCTAssertThrowsError(try Workloads.make("mix:thp+nope", machine: m))
        XCTAssertNoThrow(try Workloads.make("mix:thp+kbuild", machine: m, params: ["a.thps": "4", "b.pages": "64", "cpus": "shared"]))
    }
}
