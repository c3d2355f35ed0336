import XCTest
@testable import PCPModel

/// Anonymous reclaim to the swap device, vm.swappiness, the OOM killer and kswapd's PSI time,
/// with the invariant checker on.
final class SwapTests: XCTestCase {
    func event(_ m: Machine, _ e: VMEvent) -> Int { m.events[e.rawValue] }

    /// memhog maps 1.5x memory on a 128 MiB machine with 128 MiB of swap: reclaim writes cold
    /// anon pages out, touches read them back, nothing is killed, and the slots in use are the
    /// swapped pages.
    func testAnonPagesGoToSwapAndComeBack() throws {
        let m = try Machine(spec: .x86(memory: 128 << 20, cpus: 2))
        m.swapon(pages: (128 << 20) / K.pageSize)
        XCTAssertEqual(m.reclaim.swapPages, 32767)  // one page is the swap header
        var w = try Workloads.make("memhog", machine: m, params: ["mb": "192"])
        let e = Engine(machine: m, seed: 1, checkEvery: 20_000)
        try e.run(&w, ops: 300_000)
        try e.check(after: "memhog with swap")
        XCTAssertGreaterThan(event(m, .pswpout), 0)
        XCTAssertGreaterThan(event(m, .pswpin), 0)
        XCTAssertEqual(event(m, .pgmajfault), event(m, .pswpin))
        XCTAssertGreaterThan(event(m, .pgscanAnon), 0)
        XCTAssertEqual(event(m, .pgstealAnon), event(m, .pswpout))
        XCTAssertEqual(event(m, .oomKill), 0)
        XCTAssertEqual(m.reclaim.swapUsed, event(m, .pswpout) - event(m, .pswpin))
        XCTAssertEqual(m.anonSwapped(0), m.reclaim.swapUsed)
        XCTAssertEqual(m.anonResident(0) + m.anonSwapped(0), 192 * 256)
        let s = m.snapshot()
        XCTAssertEqual(s.swapTotalPages - s.swapFreePages, m.reclaim.swapUsed)
    }

    /// Without swap the same workload cannot reclaim its anon pages: the OOM killer ends the
    /// process (oom_kill), its memory comes back, and a new process starts; no swap I/O.
    func testWithoutSwapTheOOMKillerEndsTheHog() throws {
        let m = try Machine(spec: .x86(memory: 128 << 20, cpus: 2))
        var w = try Workloads.make("memhog", machine: m, params: ["mb": "192"])
        let e = Engine(machine: m, seed: 1, checkEvery: 20_000)
        try e.run(&w, ops: 200_000)
        try e.check(after: "memhog without swap")
        XCTAssertGreaterThan(event(m, .oomKill), 0)
        XCTAssertEqual(event(m, .pswpout), 0)
        XCTAssertEqual(event(m, .pgscanAnon), 0)
        XCTAssertEqual(m.reclaim.swapUsed, 0)
    }

    /// select_bad_process(): the process with the most rss + swap entries + page tables dies,
    /// and all of it is freed through the free path.
    func testTheVictimIsTheLargestAndItsMemoryIsFreed() throws {
        let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 4))
        m.swapon(pages: 1024)
        var w = MemHog(m, .all(m), procs: 3, pages: 4096, hotPercent: 80, swapInUs: 0)
        var rng = SplitMix64(seed: 1)
        // CPU 1's process faults in the most.
        for (cpu, steps) in [(0, 700), (1, 1500), (2, 1100)] {
            for _ in 0..<steps { _ = try w.step(m, cpu: cpu, &rng) }
        }
        let area = w.area[1], tables = w.tables[1].count
        XCTAssertEqual(tables, 3)
        let rss = m.anonResident(area)
        XCTAssertGreaterThan(rss, m.anonResident(w.area[2]))
        let held = m.allocatedPages
        XCTAssertTrue(try w.oomKill(m, cpu: 0))
        XCTAssertEqual(w.lastVictim?.cpu, 1)
        XCTAssertEqual(w.lastVictim?.points, rss + tables)
        XCTAssertEqual(m.anonResident(area), 0)
        XCTAssertEqual(held - m.allocatedPages, rss + tables)
        try InvariantChecker().check(m, after: "the OOM kill")
        // Its CPU starts a new process in the same area.
        _ = try w.step(m, cpu: 1, &rng)
        _ = try w.step(m, cpu: 1, &rng)
        XCTAssertEqual(m.anonResident(area), 1)
    }

    /// vm.swappiness sets get_scan_count's balance (SCAN_FRACT): beside the hog, a small file
    /// read over and over stays active, so reclaim weighs anon against file by swappiness
    /// and cost; at 200 the file share is 0 and reclaim scans anon alone.
    func testSwappinessMovesTheBalance() throws {
        func scanned(_ swappiness: Int) throws -> (anon: Double, file: Double) {
            let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 4))
            m.swapon(pages: (256 << 20) / K.pageSize)
            try m.setSwappiness(swappiness)
            var w = try Workloads.make("mix:memhog+stream", machine: m,
                                       params: ["a.mb": "240", "a.hot": "95", "b.file_mb": "16", "b.order": "0", "b.rate": "4000"])
            let e = Engine(machine: m, seed: 1, checkEvery: 50_000)
            try e.run(&w, ops: 400_000)
            try e.check(after: "swappiness \(swappiness)")
            return (Double(event(m, .pgscanAnon)), Double(event(m, .pgscanFile)))
        }
        let low = try scanned(10), high = try scanned(200)
        XCTAssertGreaterThan(low.file, 0)
        XCTAssertGreaterThan(high.anon, 0)
        XCTAssertGreaterThan(high.anon / (high.anon + high.file), low.anon / (low.anon + low.file) + 0.3)
        XCTAssertThrowsError(try Machine(spec: .x86(memory: 64 << 20, cpus: 1)).setSwappiness(201))
    }

    /// kswapd's balance_pgdat() runs between psi_memstall_enter and leave: a stream that only
    /// kswapd reclaims for accrues memory "some" time, and no "full" time (the CPU it runs on
    /// has its own task waiting, and no task stalls in the allocator).
    func testKswapdTimeIsSomePressure() throws {
        let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2))
        var w = try Workloads.make("stream", machine: m, params: ["file_mb": "512", "order": "0"])
        let e = Engine(machine: m, seed: 1)
        try e.run(&w, ops: 300_000)
        XCTAssertGreaterThan(event(m, .pageoutrun), 0)
        XCTAssertEqual(event(m, .allocstallMovable) + event(m, .allocstallNormal) + event(m, .compactStall), 0)
        XCTAssertGreaterThan(m.psiMemory.stallSum[0], 0)
        XCTAssertEqual(m.psiMemory.stallSum[1], 0)
    }
}
