import Foundation
import XCTest
import PCPModel
import PCPRender
@testable import PCPScenario

/// The six multi-CPU captures of fixtures/trace-6.18 (scripts/capture on a real 6.18 VM),
/// replayed on their kernel's own vmstat_update ticks to the end of the capture, against the
/// refill and drain runs the kernel traced and the zoneinfo read after it.
final class ReplayCheckTests: XCTestCase {
    func scenario(_ name: String, pagetypeinfo: Bool = true) -> Scenario {
        let dir = Support.root + "/fixtures/trace-6.18/" + name
        var s = Scenario()
        s.machine = .imported(ImportedMachine(zoneinfo: dir + "/zoneinfo-before.txt",
                                              pagetypeinfo: pagetypeinfo ? dir + "/pagetypeinfo-before.txt" : nil, pcpState: .trace))
        s.workload = .trace(dir + "/trace.gz")
        return s
    }

    /// Replays a capture. With its pagetypeinfo, DMA32 (wholly free, one order-8 fragment
    /// placed among its reserved pages) ends with the kernel's pages free on every capture.
    func check(_ name: String, pagetypeinfo: Bool = true) throws -> ReplayCheck.Report {
        let after = try String(contentsOfFile: Support.root + "/fixtures/trace-6.18/\(name)/zoneinfo-after.txt", encoding: .utf8)
        let r = try ReplayCheck.check(scenario(name, pagetypeinfo: pagetypeinfo), afterZoneinfo: after)
        if pagetypeinfo {
            let dma32 = r.final.first { $0.what == "node 0 zone DMA32 pages free" }
            XCTAssertEqual(dma32?.replay, dma32?.kernel, "\(name): DMA32 pages free")
        }
        // What the replay moves with no event (its inferred allocations, the pages they send
        // to the free lists, the untraced returns) never exceeds what the kernel's own balance
        // shows went with no event, on each CPU's lists and each zone's free lists.
        for f in r.final where f.kernelMoved != nil {
            let k = f.kernelMoved!.untraced, p = f.replayMoved!.untraced
            XCTAssertTrue(p == 0 || (p.signum() == k.signum() && abs(p) <= abs(k)), "\(name): \(f.what): replay \(p) with no event, kernel \(k)")
        }
        return r
    }

    /// What moved with no event, per figure, on each side: [what: (kernel, replay)].
    func untraced(_ r: ReplayCheck.Report) -> [String: [Int]] {
        var out: [String: [Int]] = [:]
        for f in r.final { if let k = f.kernelMoved, let p = f.replayMoved, k.untraced != 0 || p.untraced != 0 { out[f.what] = [k.untraced, p.untraced] } }
        return out
    }

    /// Every figure's events moved as many pages in the replay as in the kernel's trace.
    func assertEventsMovedAlike(_ r: ReplayCheck.Report, file: StaticString = #filePath, line: UInt = #line) {
        for f in r.final where f.kernelMoved != nil {
            XCTAssertEqual(f.replayMoved?.events, f.kernelMoved?.events, f.what, file: file, line: line)
        }
    }

    func runs(_ r: ReplayCheck.Report, cpu: Int, _ kind: ReplayCheck.Run.Kind) -> ReplayCheck.Comparison {
        r.comparisons.first { $0.cpu == cpu && $0.kind == kind }!
    }

    func figure(_ r: ReplayCheck.Report, _ what: String) -> ReplayCheck.FinalFigure {
        r.final.first { $0.what == what }!
    }

    /// A capture without vmstat_update events (two-cpus with its workqueue lines taken out):
    /// the ticks' phase comes from the first drain no free explains, CPU 1's decay at
    /// 0.726941 s, and every refill and drain run is the kernel's again. With the machine's
    /// own phase (a tick at each whole second of the replay) CPU 1's first decay drain comes
    /// late and frees 907 pages where the kernel's freed 902.
    func testTicksTakeTheirPhaseFromTheFirstDecayDrain() throws {
        let dir = Support.root + "/fixtures/trace-6.18/two-cpus"
        let text = try TraceFile.read(dir + "/trace.gz")
        let tickless = FileManager.default.temporaryDirectory.appendingPathComponent("two-cpus-tickless-\(getpid()).txt").path
        defer { try? FileManager.default.removeItem(atPath: tickless) }
        try text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("workqueue_execute_start") }
            .joined(separator: "\n").write(toFile: tickless, atomically: true, encoding: .utf8)
        let after = try String(contentsOfFile: dir + "/zoneinfo-after.txt", encoding: .utf8)
        var s = scenario("two-cpus")
        s.workload = .trace(tickless)
        let r = try ReplayCheck.check(s, afterZoneinfo: after)
        XCTAssertTrue(r.notes.contains { $0.contains("no vmstat_update events") && $0.contains("at 0.726941 s") }, "\(r.notes)")
        for c in r.comparisons { XCTAssertTrue(c.identical, "cpu \(c.cpu) \(c.kind): \(c.kernel) vs \(c.replay)") }
        s.vmstatPhaseMs = 1000
        let own = try ReplayCheck.check(s, afterZoneinfo: after)
        XCTAssertFalse(own.notes.contains { $0.contains("no vmstat_update events") })
        XCTAssertEqual(runs(own, cpu: 1, .drain).replay.first?.length, 907)
        XCTAssertEqual(runs(own, cpu: 1, .drain).kernel.first?.length, 902)
    }

    /// Two CPUs faulting 96 MiB each at once: every CPU's refill and drain runs are the
    /// kernel's, including the decay drains at the kernel's ticks (391 UNMOVABLE pages on CPU
    /// 0 at 1.607 s; 902, then 108 in a later free, then 2016 on CPU 1), and so is every
    /// final figure: replay-check says identical.
    func testTwoCPUsReplayExactly() throws {
        let r = try check("two-cpus")
        XCTAssertFalse(r.notes.contains { $0.contains("drain to the buddy") }, "\(r.notes)")
        assertEventsMovedAlike(r)
        XCTAssertEqual(untraced(r), [:])
        XCTAssertEqual(figure(r, "node 0 zone Normal cpu 0 count").kernelMoved, ReplayCheck.Movement(before: 14684, events: 13607, untraced: 0))
        for c in r.comparisons { XCTAssertTrue(c.identical, "cpu \(c.cpu) \(c.kind): \(c.kernel) vs \(c.replay)") }
        XCTAssertEqual(runs(r, cpu: 0, .refill).kernel.map(\.length), [63, 126, 252, 504, 1008] + Array(repeating: 2016, count: 6))
        XCTAssertEqual(runs(r, cpu: 1, .drain).kernel.map(\.length), [902, 108, 2016])
        XCTAssertEqual(runs(r, cpu: 0, .drain).kernel.map(\.length), [391])
        // CPU 0's PCP ends where the kernel's did.
        for what in ["count", "high"] {
            let f = figure(r, "node 0 zone Normal cpu 0 \(what)")
            XCTAssertEqual(f.replay, f.kernel, what)
        }
        XCTAssertEqual(figure(r, "node 0 zone DMA pages free").replay, 3840)
        // DMA32 was wholly free; the order-8 fragment the managed range cannot keep apart goes
        // among the reserved pages (a note says so). Pages free is the folded counter: both
        // CPUs idled before the after-snapshot, so quiet_vmstat had folded every delta.
        for f in r.final { XCTAssertEqual(f.replay, f.kernel, f.what) }
        XCTAssertTrue(r.notes.contains { $0.contains("DMA32: 1 free block(s) of order 8 (type 1) placed among the reserved pages") })
        XCTAssertFalse(r.notes.contains { $0.contains("could not be placed") })
        XCTAssertTrue(r.identical)
    }

    /// Pages faulted on CPU 0 and unmapped by a thread on CPU 1, twice: CPU 0's refills (24
    /// runs) and CPU 1's 14 drains of 2016 are the kernel's, and so is pages free in every
    /// zone. Each CPU frees order-0 pages the capture never shows allocated (44 on CPU 0, 45
    /// on CPU 1); the kernel's final counts say 24 and 21 of them were taken off those CPUs'
    /// lists during the capture without a trace (alloc_pages_bulk(): the kernel stacks of the
    /// shells' short-lived children). 12 of CPU 1's are freed a second time with no event
    /// between, so their allocation is inferred (a note says so); when the other 9 and 24
    /// went the trace does not show. A last replay takes CPU 1's 9 before its last tick,
    /// whose capped drain set high from count (so high ends the kernel's too, 9 high before),
    /// and CPU 0's 24 after the last event.
    func testRemoteFreeReplaysExactly() throws {
        let r = try check("remote-free")
        for c in r.comparisons { XCTAssertTrue(c.identical, "cpu \(c.cpu) \(c.kind): \(c.kernel) vs \(c.replay)") }
        XCTAssertEqual(runs(r, cpu: 1, .drain).kernel.map(\.length), Array(repeating: 2016, count: 14))
        XCTAssertEqual(runs(r, cpu: 0, .refill).kernel.count, 24)
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("12 allocations inferred of order-0 pages of UNMOVABLE pageblocks freed twice") }, "\(r.notes)")
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("33 allocations inferred of the 33 pages the zoneinfo read after the capture shows the kernel's lists lost with no event beyond what a replay's other inferences placed") && $0.contains("9 before their CPU's last tick, whose capped decay drain set high from count, 24 after the last traced event") }, "\(r.notes)")
        for f in r.final { XCTAssertEqual(f.replay, f.kernel, f.what) }
        assertEventsMovedAlike(r)
        XCTAssertEqual(untraced(r), ["node 0 zone Normal cpu 0 count": [-24, -24], "node 0 zone Normal cpu 1 count": [-21, -21]])
        XCTAssertTrue(r.identical)
    }

    /// A figure whose events moved alike on both sides says which side its no-event part lies
    /// on, and a count the kernel's lists lost more of is what a last replay takes late.
    func testAFigureDifferingWithNoEventIsTakenLate() {
        let f = ReplayCheck.FinalFigure(what: "node 0 zone Normal cpu 0 count", kernel: 1846, replay: 1870,
                                        kernelMoved: .init(before: 18881, events: -17011, untraced: -24),
                                        replayMoved: .init(before: 18881, events: -17011, untraced: 0), pcpOf: (0, 2))
        XCTAssertEqual(ReplayCheck.unexplained(f, f.kernelMoved!, f.replayMoved!),
                       "all of it with no event: the kernel's lists lost 24 pages more than the replay's inferences place; which pages and when, no traced event shows")
        let report = ReplayCheck.Report(comparisons: [], final: [f], notes: [])
        XCTAssertEqual(ReplayCheck.lateBudget(report), [[0, 0, 24]])
        // Events that moved differently, or a kernel that lost fewer: nothing to take.
        var g = f
        g.replayMoved!.events += 1
        XCTAssertEqual(ReplayCheck.lateBudget(.init(comparisons: [], final: [g], notes: [])), [])
        g = f
        g.kernelMoved!.untraced = 1
        XCTAssertEqual(ReplayCheck.lateBudget(.init(comparisons: [], final: [g], notes: [])), [])
    }

    /// Fault, unmap and sleep 5 s, four times on CPU 1, with an 8 s idle tail. The lists'
    /// starting lengths count the pages decay drained from them before their first refill,
    /// so the fourth cycle's refills come when the kernel's did; the decay drains run at the
    /// kernel's 23 ticks. The kernel's CPU 1 held 949 pages fewer at the end than its traced
    /// events give: its uncapped decay drains show when (4 by the 5.999 s tick, 942 more by
    /// 12.991 s, each after capped drains that had set high from count), and the replay takes
    /// them there, lowering high with them. Every drain run is then the kernel's (from the
    /// fifth on they drifted without it, 279 pages high at the end). Such an uncapped drain
    /// places high within 8 pages only: the replay takes the fewest, and the kernel's final
    /// count shows one more (a page high before), which a last replay takes at the last such
    /// drain, lowering high with it. The kernel's pages free gained 946 with
    /// no traced event (fixtures/trace-6.18/README.md): a second replay sends that many of the
    /// pages it takes to the free lists, and the Normal zone's pages free are the kernel's.
    func testDecayReplaysOnTheKernelsTicks() throws {
        let r = try check("decay")
        for c in r.comparisons { XCTAssertTrue(c.identical, "cpu \(c.cpu) \(c.kind): \(c.kernel) vs \(c.replay)") }
        XCTAssertEqual(runs(r, cpu: 1, .refill).kernel.map(\.length), [63, 63, 63, 63, 126, 252, 504, 1008, 2016, 2016, 2016, 63])
        XCTAssertEqual(runs(r, cpu: 1, .drain).kernel.map(\.length),
                       [2016, 2016, 2016, 2016, 1976] + Array(repeating: 2016, count: 6) + [1869, 1635, 1431, 63, 2016, 2005, 1754, 1535, 1343, 1168, 1035, 906])
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("948 allocations inferred where a traced tick") }, "\(r.notes)")
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("946 of the pages taken with no event went to the free lists, not to a caller") }, "\(r.notes)")
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("1 allocations inferred of the 1 pages") && $0.contains("1 at their CPU's last tick whose decay drain, right after a capped one, places high within 8 pages") }, "\(r.notes)")
        for f in r.final { XCTAssertEqual(f.replay, f.kernel, f.what) }
        assertEventsMovedAlike(r)
        XCTAssertEqual(untraced(r), ["node 0 zone Normal pages free": [946, 946], "node 0 zone Normal cpu 1 count": [-949, -949]])
        XCTAssertTrue(r.identical)
    }

    /// 200 children per CPU, 5 waves: slab refills at orders 2 and 3 between order-0 ones.
    /// CPU 1's PCP lists of every order start as the trace shows them, so its 11 refill runs
    /// are the kernel's. On CPU 0, alloc_pages_bulk() (the vmalloc'ed kernel stacks) takes
    /// pages off the UNMOVABLE list without mm_page_alloc: 16 of the first refill's 63 are
    /// gone when the list refills again, and 1237 refilled pages are later freed by a
    /// kworker never having been traced allocated. Replaying those allocations keeps the list
    /// running dry where the kernel's did, so alloc_factor doubles as the kernel's. 5673 pages
    /// are freed twice with no event between (kernel stacks alloc_pages_bulk() took again):
    /// with those allocations inferred too, CPU 0's first 18 refill runs are the kernel's (17
    /// without them, 3 with neither).
    func testForkReplaysHigherOrderLists() throws {
        let r = try check("fork")
        let cpu1 = runs(r, cpu: 1, .refill)
        XCTAssertTrue(cpu1.identical, "\(cpu1.kernel) vs \(cpu1.replay)")
        XCTAssertEqual(cpu1.kernel.filter { $0.order == 3 }.count, 5)
        XCTAssertEqual(cpu1.kernel.first, ReplayCheck.Run(kind: .refill, order: 2, mt: 0, length: 15, timeNs: 0))
        // CPU 0's 25 refill runs are the kernel's: at its 0.318 s refill of UNMOVABLE pages the
        // replay's list still held 261 pages (and 4 at 0.396 s) that alloc_pages_bulk() had
        // taken untraced, so they go then; without that the replay served 126 more
        // allocations from them and refilled its order-3 list first (run 19).
        let cpu0 = runs(r, cpu: 0, .refill)
        XCTAssertEqual(cpu0.kernel.prefix(4).map(\.length), [63, 126, 252, 504])
        XCTAssertEqual(cpu0.kernel.count, 25)
        XCTAssertTrue(cpu0.identical, "\(cpu0.kernel) vs \(cpu0.replay)")
        XCTAssertTrue(runs(r, cpu: 0, .drain).identical)
        for what in ["cpu 0 high", "cpu 1 high"] {
            let f = figure(r, "node 0 zone Normal \(what)")
            XCTAssertEqual(f.replay, f.kernel, what)
        }
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("5673 allocations inferred of order-0 pages of UNMOVABLE pageblocks freed twice") }, "\(r.notes)")
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("1237 allocations inferred of pages a refill put on a PCP list") }, "\(r.notes)")
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("265 allocations inferred where the kernel refilled an order-0 list") }, "\(r.notes)")
        // CPU 1's kworker frees 1070 stack pages alloc_pages_bulk() took from a list the
        // capture never refills, when is not in the trace. Its 1.749 s tick drained nothing, so
        // the kernel's count was at most the decayed high there: the replay takes 661 pages
        // (its drain there is gone). That left three free-path drains (83, 63, 63) where the
        // kernel drained none: the kernel's own balance (zoneinfo before and after, the events
        // between) says CPU 1's lists lost 209 pages with no event that no inference placed,
        // so a second replay takes 170 of them before the frees the kernel did not drain after,
        // as few as keep its count under high, and every drain run is the kernel's. CPU 1
        // ended 39 pages high then (the rest of the 209, which no evidence places), CPU 0 35
        // (when each stack was taken between its two frees is not in the trace, only that its
        // list's next refill came after it): a last replay takes those 74 after the last
        // event. The kernel's free lists gained 260 pages with no event: the second replay
        // sends that many of its taken pages there, and pages free are equal.
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("661 allocations inferred where a traced tick") }, "\(r.notes)")
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("170 allocations inferred where the replay's count would reach high on a free the kernel did not drain after, of the 209 pages") }, "\(r.notes)")
        for c in r.comparisons { XCTAssertTrue(c.identical, "cpu \(c.cpu) \(c.kind): \(c.kernel) vs \(c.replay)") }
        assertEventsMovedAlike(r)
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("260 of the pages taken with no event went to the free lists, not to a caller") }, "\(r.notes)")
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("74 allocations inferred of the 74 pages") && $0.hasSuffix("74 after the last traced event; when the kernel took them, no traced event shows") }, "\(r.notes)")
        for f in r.final { XCTAssertEqual(f.replay, f.kernel, f.what) }
        // The kernel's balance (its four fallback pages traced by mm_page_alloc_extfrag alone
        // count as refilled).
        XCTAssertEqual(untraced(r), ["node 0 zone Normal pages free": [260, 260], "node 0 zone Normal cpu 0 count": [-4163, -4163],
                                     "node 0 zone Normal cpu 1 count": [-3916, -3916]])
        XCTAssertTrue(r.identical)
    }

    /// Faults on CPU 0; fork, a file read (order-2 page cache folios) and THP faults on CPU 1.
    /// Every run is the kernel's: CPU 1's 63 refill runs (its order-2 MOVABLE list serves as
    /// many folios as the kernel's before refilling; with the allocations alloc_pages_bulk()
    /// made replayed, its UNMOVABLE refills come as the kernel's, 21 before) and its drains.
    func testMixedReplays() throws {
        let r = try check("mixed")
        for c in r.comparisons { XCTAssertTrue(c.identical, "cpu \(c.cpu) \(c.kind): \(c.kernel) vs \(c.replay)") }
        let cpu1 = runs(r, cpu: 1, .refill)
        XCTAssertEqual(cpu1.kernel.filter { $0.order == 2 }.count, 15)
        XCTAssertEqual(cpu1.kernel.count, 63)
        // CPU 1's first drain is decay at its 2.392 s tick, count - 41160, with high the
        // kernel's (no capped drain before it): the kernel held 140 pages fewer than the
        // replay (466 without the 331 second frees' inferred allocations), taken by allocations
        // the trace does not show; taking them there makes it 995 (1135 without) and the
        // Normal zone's pages free the kernel's (140 apart without).
        XCTAssertEqual(runs(r, cpu: 1, .drain).kernel.map(\.length), [995, 74, 2016])
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("140 allocations inferred where a traced tick") }, "\(r.notes)")
        // CPU 0's lists lost 7 pages more with no event than the inferences place (12 without
        // the second frees), and no drain of its shows when (fixtures README, mixed): a last
        // replay takes them after the last event.
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("7 allocations inferred of the 7 pages") }, "\(r.notes)")
        for f in r.final { XCTAssertEqual(f.replay, f.kernel, f.what) }
        // The kernel's Normal zone lost 3 free pages with no event: between the zoneinfo read
        // before the capture and the pagetypeinfo the replay's free lists start from.
        assertEventsMovedAlike(r)
        XCTAssertEqual(untraced(r), ["node 0 zone Normal pages free": [-3, 0], "node 0 zone Normal cpu 0 count": [-12, -12],
                                     "node 0 zone Normal cpu 1 count": [-780, -780]])
        let free = figure(r, "node 0 zone Normal pages free")
        XCTAssertEqual(free.kernelMoved!.before - free.replayMoved!.before, 3)
    }

    /// MADV_HUGEPAGE faults on both CPUs: refills of two order-9 blocks, and an unmap that
    /// frees the THPs in folio batches of 31. The kernel commits a batch only after tracing
    /// all its frees, and each commit over high drains once, free_count's 2172 pages: five
    /// order-9 entries (6.18.y's free path makes one free_pcppages_bulk() call; chunks of batch
    /// would take 35). So its drain runs are 25, 30 or 35 entries, and the replay's are the
    /// kernel's: CPU 0's first 15 drain runs (its decay drains of 192 and 194 among them: the
    /// 98 pages its order-0 decay drains show gone are taken, 9 and 136 without) and 147
    /// refill runs, CPU 1's first 13 drain runs and 123 refill runs. CPU 1's fifth drain,
    /// kdamond's 2172 pages at 1.003 s, empties lists the trace never refilled (MOVABLE and
    /// RECLAIMABLE order 0, MOVABLE order 1) and moves on from each, which free_pcppages_bulk()
    /// does only from an empty list: their lengths there (1165, 161 and 200 entries) give their
    /// starting lengths (1739 entries for the kernel's 1749 with lower bounds, and the runs
    /// drifting from there). CPU 1 then drained 139 pages on the free path at 2.094 s where the
    /// kernel did not: 125 pages its lists and CPU 0's lost with no event are unplaced, so the
    /// second replay takes 37 before the frees the kernel did not drain after, and CPU 1's
    /// first 17 drain runs are the kernel's. Its UNMOVABLE list refilled a second time at
    /// 2.151 s (run 124) until the replay gave it the pages the kernel's allocated at 2.094 s
    /// and after with no buddy event (22 untraced returns). It then ran empty one allocation
    /// before the kernel's at 2.742 s: a page CPU 0 freed at 2.121 s and CPU 1 allocated at
    /// 2.663 s, with no event between, came off CPU 0's list (as did four kdamond freed on
    /// CPU 1 at 1.020 s and `sh` allocated on CPU 0 at 2.151 s); taken from those lists, every
    /// CPU 1 refill run is the kernel's (fixtures/trace-6.18/README.md). CPU 0's UNMOVABLE
    /// list ran empty at 2.658 s, 39 pages before the kernel's first refill of it at 2.840 s:
    /// started 39 pages longer, every CPU 0 refill run is the kernel's, and so is its high.
    /// CPU 1's correction (20) made its fifth drain differ, so it is dropped.
    func testTHPReplaysTheFreePathDrains() throws {
        let r = try check("thp")
        let drains0 = runs(r, cpu: 0, .drain), drains1 = runs(r, cpu: 1, .drain)
        XCTAssertEqual(drains0.kernel.prefix(9).map(\.length), [30, 30, 35, 25, 192, 25, 30, 30, 30])
        XCTAssertGreaterThanOrEqual(drains0.firstDivergence ?? .max, 15, "\(drains0.kernel) vs \(drains0.replay)")
        XCTAssertEqual(drains0.kernel[14].length, 194)
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("86 allocations inferred where a traced tick") }, "\(r.notes)")
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("5 order-0 pages allocated on one CPU whose last traced event was a free on another") }, "\(r.notes)")
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("cpu 0 zone Normal: the Unmovable order-0 list started 39 pages longer than the import had it") }, "\(r.notes)")
        XCTAssertFalse(r.notes.contains { $0.hasPrefix("cpu 1 zone Normal: the Unmovable order-0 list started") }, "\(r.notes)")
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("cpu 0 zone Normal: its drain run 16 is the decay of the tick before it (at 4.101492 s): the kernel's 1404 entries (1491 pages) show its count 1488–1489 pages over its decayed high, the replay's 1550 (1550 pages) 1550, 61–62 more") }, "\(r.notes)")
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("cpu 1 zone Normal: its drain run 18 is the decay of the tick before it (at 3.084024 s): the kernel's 528 entries (787 pages) show its count 773–780 pages over its decayed high, the replay's 592 (900 pages) 883–890, 103–117 more") }, "\(r.notes)")
        XCTAssertEqual(drains1.kernel.prefix(5).map(\.length), [25, 35, 30, 25, 1749])
        XCTAssertGreaterThanOrEqual(drains1.firstDivergence ?? .max, 17, "\(drains1.kernel) vs \(drains1.replay)")
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("22 order-0 pages allocated (on CPU 0, 1) whose last traced event was a drain to the buddy") && $0.contains("the first at 2.094409 s on CPU 0 (pfn 0x12e262)") }, "\(r.notes)")
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("40 allocations inferred where the replay's count would reach high on a free the kernel did not drain after, of the 143 pages") }, "\(r.notes)")
        for c in 0...1 {
            XCTAssertEqual(runs(r, cpu: c, .refill).kernel.prefix(64).map(\.description), Array(repeating: "2 (o9/mt1)", count: 64))
        }
        let refills0 = runs(r, cpu: 0, .refill)
        XCTAssertTrue(refills0.identical, "\(refills0.kernel) vs \(refills0.replay)")
        XCTAssertEqual(refills0.kernel.count, 182)
        let refills1 = runs(r, cpu: 1, .refill)
        XCTAssertTrue(refills1.identical, "\(refills1.kernel) vs \(refills1.replay)")
        XCTAssertEqual(refills1.kernel.count, 180)
        let count1 = figure(r, "node 0 zone Normal cpu 1 count"), high0 = figure(r, "node 0 zone Normal cpu 0 high")
        XCTAssertEqual(count1.replay, count1.kernel)
        XCTAssertEqual(high0.replay, high0.kernel)
        XCTAssertEqual(figure(r, "node 0 zone Normal cpu 0 count").replay - figure(r, "node 0 zone Normal cpu 0 count").kernel, 3)
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("85 of the pages taken with no event went to the free lists, not to a caller") }, "\(r.notes)")
        XCTAssertEqual(untraced(r), ["node 0 zone Normal pages free": [63, 63], "node 0 zone Normal cpu 0 count": [-159, -100],
                                     "node 0 zone Normal cpu 1 count": [-91, -31]])
        XCTAssertEqual(figure(r, "node 0 zone Normal pages free").replayReturned, -22)
        // Equal with no event, so the difference is the events': the two decay drains that part.
        XCTAssertEqual(figure(r, "node 0 zone Normal pages free").replay - figure(r, "node 0 zone Normal pages free").kernel, 116)
        XCTAssertEqual(figure(r, "node 0 zone Normal pages free").replayMoved!.events - figure(r, "node 0 zone Normal pages free").kernelMoved!.events, 116)
        XCTAssertTrue(ReplayCheck.render(r).contains("node 0 zone Normal pages free: kernel 500236, replay 500352 (differs by 116)\n  moved by events: kernel +4016, replay +4132; with no event: kernel +63, replay +63 (-22 the pages back from the buddy untraced)\n  all of it by events: the replay's events moved 116 pages more than the kernel's"))
    }

    /// Without pagetypeinfo the free lists are not shaped (zoneinfo's pages free only), yet
    /// the refill runs, which the trace decides, stay the kernel's.
    func testZoneinfoAloneKeepsTheRefillRuns() throws {
        let r = try check("two-cpus", pagetypeinfo: false)
        for c in r.comparisons where c.kind == .refill { XCTAssertTrue(c.identical, "cpu \(c.cpu): \(c.kernel) vs \(c.replay)") }
    }

    /// faultloop-512M was captured without mm_page_alloc_extfrag (recipe 1, no capture.txt).
    /// The replay's refill at run 29 takes 2016 pages, two of them by __rmqueue_steal(), which
    /// traces only that event; the kernel's run shows 2014. Counting the replay's extfrag pages
    /// gave 2016; left out, every refill run is the kernel's. The unmap's 24 drains of 2016 are
    /// the kernel's too now that a run of frees commits in folio batches of at most 31: as one
    /// commit, a run of 2005 frees between two kernel drains took two replay drains 7 times
    /// (17 runs, 7 of 4032), since the replay drains about 20 frees after the kernel (CPU 1's
    /// count when tracing began, not in the capture: fixtures/trace-6.18/README.md).
    func testACaptureWithoutExtfragCountsNoStolenPages() throws {
        let r = try ReplayCheck.check(scenario("faultloop-512M"), afterZoneinfo: nil)
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("the capture shows no mm_page_alloc_extfrag") }, "\(r.notes)")
        let refills = runs(r, cpu: 1, .refill)
        XCTAssertTrue(refills.identical, "\(refills.replay)")
        XCTAssertEqual(refills.kernel.count, 78)
        XCTAssertEqual(refills.kernel[28].length, 2014)
        let drains = runs(r, cpu: 1, .drain)
        XCTAssertEqual(drains.kernel.map(\.length), Array(repeating: 2016, count: 24))
        XCTAssertTrue(drains.identical, "\(drains.replay)")
        XCTAssertTrue(r.identical)
        // A capture whose capture.txt lists the event keeps the replay's (none fired here).
        XCTAssertFalse(try check("two-cpus").notes.contains { $0.contains("mm_page_alloc_extfrag") })
    }
}

/// The capture's window, ticks and end, and the run counting, on small texts.
final class CaptureParsingTests: XCTestCase {
    let text = """
        capture-run-1 [001] ...1.  10.000000: tracing_mark_write: pcpsim-capture: before-snapshot begin
        kworker/0:1-9 [000] .....  10.000500: mm_page_free: page=0 pfn=0x11 order=0
        capture-run-1 [001] ...1.  10.001000: tracing_mark_write: pcpsim-capture: before-snapshot end
        a-2 [000] .....  10.002000: mm_page_alloc: page=0 pfn=0x10 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE
        kworker/1:1-8 [001] .....  10.501000: workqueue_execute_start: work struct 00000000ab7414ce: function vmstat_update
        kworker/1:1-8 [001] .....  10.601000: workqueue_execute_start: work struct 00000000ab7414ce: function other_work
        a-2 [000] .....  10.701000: mm_page_free: page=0 pfn=0x10 order=0
        capture-run-1 [001] ...1.  12.001000: tracing_mark_write: pcpsim-capture: after-snapshot begin
        a-2 [000] .....  12.002000: mm_page_alloc: page=0 pfn=0x20 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE
        """

    /// A tick's decay drain is the mm_page_pcpu_drain run its CPU traces right after it: a
    /// drain after any other kmem event of that CPU (the free path's) is not the tick's, and
    /// another CPU's events do not end it.
    func testATickCarriesItsDecayDrain() throws {
        let t = """
            capture-run-1 [001] ...1.  10.000000: tracing_mark_write: pcpsim-capture: before-snapshot end
            a-2 [000] .....  10.001000: mm_page_alloc: page=0 pfn=0x10 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE
            kworker/1:1-8 [001] .....  11.000000: workqueue_execute_start: work struct 00000000ab7414ce: function vmstat_update
            kworker/1:1-8 [001] d..3.  11.000010: mm_page_pcpu_drain: page=0 pfn=0x40 order=0 migratetype=1
            a-2 [000] .....  11.000015: mm_page_free: page=0 pfn=0x10 order=0
            kworker/1:1-8 [001] d..3.  11.000020: mm_page_pcpu_drain: page=0 pfn=0x42 order=1 migratetype=1
            b-3 [001] .....  11.000030: mm_page_free: page=0 pfn=0x50 order=0
            b-3 [001] d..3.  11.000040: mm_page_pcpu_drain: page=0 pfn=0x44 order=0 migratetype=1
            kworker/1:1-8 [001] .....  12.000000: workqueue_execute_start: work struct 00000000ab7414ce: function vmstat_update
            """
        let ticks = try TraceText.capture(t, cpus: 2).records.filter { $0.kind == .tick }
        XCTAssertEqual(ticks.map(\.drains), [[0x40 << 4, 0x42 << 4 | 1], []])
    }

    /// An uncapped decay drains count - high + high/8: the largest high that gives the drain,
    /// none when the drain is less than count's excess or high would decay to high_min.
    func testAnUncappedDecayDrainPlacesHigh() {
        XCTAssertEqual(TraceReplay.highBeforeDecay(drain: 1869, countAboveHigh: 0, highMin: 1000), 14959)
        XCTAssertEqual(TraceReplay.highBeforeDecay(drain: 100, countAboveHigh: 30, highMin: 100), 567)
        for (drain, above) in [(1869, 0), (100, 30), (995, 7)] {
            let h = try! XCTUnwrap(TraceReplay.highBeforeDecay(drain: drain, countAboveHigh: above, highMin: 0))
            XCTAssertEqual(above + h >> 3, drain)
            XCTAssertNotEqual(above + (h + 1) >> 3, drain, "the largest such high")
        }
        XCTAssertNil(TraceReplay.highBeforeDecay(drain: 10, countAboveHigh: 30, highMin: 0))
        XCTAssertNil(TraceReplay.highBeforeDecay(drain: 100, countAboveHigh: 0, highMin: 800))
    }

    func testTheWindowRunsFromTheSnapshotMarkersAndTicksAreKept() throws {
        let c = try TraceText.capture(text, cpus: 2)
        XCTAssertEqual(c.records.map(\.timeNs), [1_000_000, 500_000_000, 700_000_000], "the free before the marker and the alloc after the end are out")
        XCTAssertEqual(c.records[1].kind, .tick)
        XCTAssertEqual(c.records[1].cpu, 1)
        XCTAssertTrue(c.hasTicks)
        XCTAssertEqual(c.endNs, 2_000_000_000)
        XCTAssertEqual(try TraceText.capture(text, cpus: 2, untilNs: 600_000_000).records.count, 2)
    }

    /// A free its CPU followed with another free is part of a folio batch, committed with the
    /// next one; a free followed by anything else (here a drain) or by nothing commits alone.
    func testAFreeFollowedByAFreeIsCommittedWithIt() throws {
        let batch = """
            capture-run-1 [001] ...1.  10.000000: tracing_mark_write: pcpsim-capture: before-snapshot end
            a-2 [000] .....  10.001000: mm_page_alloc: page=0 pfn=0x10 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE
            a-2 [000] .....  10.001100: mm_page_alloc: page=0 pfn=0x11 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE
            a-2 [000] .....  10.002000: mm_page_free: page=0 pfn=0x10 order=0
            b-3 [001] .....  10.002100: mm_page_free: page=0 pfn=0x30 order=0
            a-2 [000] .....  10.002200: mm_page_free: page=0 pfn=0x11 order=0
            a-2 [000] d..3.  10.002300: mm_page_pcpu_drain: page=0 pfn=0x20 order=0 migratetype=1
            """
        let c = try TraceText.capture(batch, cpus: 2)
        XCTAssertEqual(c.records.filter { $0.kind == .free }.map(\.pfn), [0x10, 0x30, 0x11])
        XCTAssertEqual(c.records.filter { $0.kind == .free }.map(\.batched), [true, false, false])
    }

    /// A run of 70 frees is cut into folio batches from its end: 31, 31, then the first 8,
    /// each committed at its last free (free_unref_folios() takes at most 31 folios).
    func testARunOfFreesCommitsInBatchesOf31() throws {
        var lines = ["capture-run-1 [001] ...1.  10.000000: tracing_mark_write: pcpsim-capture: before-snapshot end"]
        for p in 0..<70 {
            lines.insert(String(format: "a-2 [000] .....  10.001%03d: mm_page_alloc: page=0 pfn=0x%x order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE", p, 0x100 + p), at: 1 + p)
            lines.append(String(format: "a-2 [000] .....  10.002%03d: mm_page_free: page=0 pfn=0x%x order=0", p, 0x100 + p))
        }
        let frees = try TraceText.capture(lines.joined(separator: "\n"), cpus: 2).records.filter { $0.kind == .free }
        XCTAssertEqual(frees.count, 70)
        XCTAssertEqual(frees.indices.filter { !frees[$0].batched }, [7, 38, 69])
    }

    /// The replay waits out the idle tail to the capture's end, and with the kernel's ticks
    /// runs no periodic vmstat_update of its own.
    func testTheReplayRunsToTheEndOnTheKernelsTicks() throws {
        let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2, nodes: 1))
        let c = try TraceText.capture(text, cpus: 2)
        var w: Workload = TraceReplay(records: c.records, endNs: c.endNs)
        let e = Engine(machine: m, seed: 1)
        try e.run(&w, opsOrToEnd: nil)
        XCTAssertTrue((w as! TraceReplay).done)
        XCTAssertGreaterThanOrEqual(m.now - e.startNs, 2_000_000_000)
        try e.check(after: "the replay")
    }

    /// A paced run (the mount) stops at its tick's end: a trace's idle gap is waited out, not
    /// skipped, and the record after it runs only once its time has come.
    func testAGapIsWaitedOutInPacedSteps() throws {
        let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2, nodes: 1))
        let c = try TraceText.capture(text, cpus: 2)
        var w: Workload = TraceReplay(records: c.records, endNs: c.endNs)
        let e = Engine(machine: m, seed: 1)
        try e.run(&w, ops: 1_000, untilNs: e.startNs + 100_000_000)
        XCTAssertLessThanOrEqual(e.nowNs - e.startNs, 100_000_000, "the gap after the first allocation is cut at the tick's end")
        XCTAssertFalse((w as! TraceReplay).done)
        try e.run(&w, ops: 1_000, untilNs: e.startNs + 600_000_000)
        XCTAssertLessThanOrEqual(e.nowNs - e.startNs, 600_000_000)
        try e.run(&w, opsOrToEnd: nil)
        XCTAssertTrue((w as! TraceReplay).done)
    }

    /// alloc_pages_bulk() takes refilled pages off a PCP list without mm_page_alloc: a page
    /// still on the list when it refills again, or one freed, gets its allocation replayed
    /// just before that refill or free; a direct buddy allocation (one zone->lock event) is
    /// no refill, and a drained page was not allocated.
    func testAllocationsWithoutATraceAreInferred() throws {
        let text = """
            a-2 [000] .....  1.000000: mm_page_free: page=0 pfn=0x9 order=0
            a-2 [000] d..3.  1.000100: mm_page_alloc_zone_locked: page=0 pfn=0x10 order=0 migratetype=0 percpu_refill=1
            a-2 [000] d..3.  1.000100: mm_page_alloc_zone_locked: page=0 pfn=0x11 order=0 migratetype=0 percpu_refill=1
            a-2 [000] d..3.  1.000100: mm_page_alloc_zone_locked: page=0 pfn=0x12 order=0 migratetype=0 percpu_refill=1
            a-2 [000] d..3.  1.000100: mm_page_alloc_zone_locked: page=0 pfn=0x13 order=0 migratetype=0 percpu_refill=1
            a-2 [000] .....  1.000200: mm_page_alloc: page=0 pfn=0x10 order=0 migratetype=0 gfp_flags=GFP_KERNEL
            a-2 [000] d..2.  1.000300: mm_page_pcpu_drain: page=0 pfn=0x13 order=0 migratetype=0
            k-3 [001] .....  1.000400: mm_page_free: page=0 pfn=0x11 order=0
            a-2 [000] d..3.  1.000500: mm_page_alloc_zone_locked: page=0 pfn=0x20 order=0 migratetype=0 percpu_refill=1
            a-2 [000] .....  1.000500: mm_page_alloc: page=0 pfn=0x20 order=0 migratetype=0 gfp_flags=GFP_KERNEL
            a-2 [000] d..3.  1.000600: mm_page_alloc_zone_locked: page=0 pfn=0x30 order=0 migratetype=0 percpu_refill=1
            a-2 [000] d..3.  1.000600: mm_page_alloc_zone_locked: page=0 pfn=0x31 order=0 migratetype=0 percpu_refill=1
            a-2 [000] .....  1.000700: mm_page_alloc: page=0 pfn=0x30 order=0 migratetype=0 gfp_flags=GFP_KERNEL
            """
        let r = try TraceText.capture(text, cpus: 2).records
        let allocs = r.filter { if case .alloc = $0.kind { true } else { false } }
        // 0x10 traced; 0x11 hidden, before its free on CPU 1 (allocated on CPU 0, the list's);
        // 0x20 is a direct buddy allocation; 0x12 hidden, before the refill of 0x30; 0x13 drained.
        XCTAssertEqual(allocs.map(\.pfn), [0x10, 0x11, 0x20, 0x12, 0x30])
        XCTAssertEqual(allocs.map(\.cpu), [0, 0, 0, 0, 0])
        XCTAssertEqual(r.map(\.pfn), [0x9, 0x10, 0x11, 0x11, 0x20, 0x12, 0x30])
        XCTAssertEqual(r[5].timeNs, r[6].timeNs, "the hidden allocation takes the refill's time")
    }

    /// A refill of two or more entries marks the allocation it was for, the first of its list's
    /// order and type on that CPU after it: an allocation of another list in between (fork's
    /// order-3 slab page on CPU 0 at 0.0263 s) leaves it pending, and one zone->lock event is a
    /// direct buddy allocation, not a refill.
    func testARefillMarksTheAllocationItWasFor() throws {
        let text = """
            a-2 [000] d..3.  1.000000: mm_page_alloc_zone_locked: page=0 pfn=0x10 order=0 migratetype=0 percpu_refill=1
            a-2 [000] d..3.  1.000000: mm_page_alloc_zone_locked: page=0 pfn=0x11 order=0 migratetype=0 percpu_refill=1
            a-2 [000] .....  1.000100: mm_page_alloc: page=0 pfn=0x40 order=3 migratetype=0 gfp_flags=GFP_KERNEL
            a-2 [000] .....  1.000200: mm_page_alloc: page=0 pfn=0x10 order=0 migratetype=0 gfp_flags=GFP_KERNEL
            a-2 [000] .....  1.000300: mm_page_alloc: page=0 pfn=0x11 order=0 migratetype=0 gfp_flags=GFP_KERNEL
            a-2 [000] d..3.  1.000400: mm_page_alloc_zone_locked: page=0 pfn=0x50 order=0 migratetype=0 percpu_refill=1
            a-2 [000] .....  1.000400: mm_page_alloc: page=0 pfn=0x50 order=0 migratetype=0 gfp_flags=GFP_KERNEL
            """
        let allocs = try TraceText.capture(text, cpus: 1).records
        XCTAssertEqual(allocs.map(\.pfn), [0x10, 0x40, 0x11, 0x50], "the refill's allocation goes back to its first zone->lock event")
        XCTAssertEqual(allocs.map(\.refilled), [true, false, false, false])
    }

    /// alloc_pages_bulk() as the replay infers it at a kernel refill: every page of one CPU's
    /// order-0 list of one type leaves, counted as allocations (and NUMA hits), with no
    /// mm_page_alloc and free_count untouched, and the machine stays consistent; the other
    /// lists keep theirs.
    /// A tick that drained nothing says the kernel's count was at most the decayed high, but
    /// only in a capture that traced mm_page_pcpu_drain: there the replay takes untraced what
    /// its own decay would have drained (the fewest pages gone, off the list holding what no
    /// event names, then UNMOVABLE) and ends at the same count with its high untouched.
    func testATickWithoutADrainBoundsTheCountOnlyWhenDrainsWereTraced() throws {
        for traced in [false, true] {
            let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2, nodes: 1))
            let z = try XCTUnwrap(m.populatedZones.last)
            let high = z.pcp[1].highMax
            m.presetPCP(nid: z.nid, zone: z.type, cpu: 1, count: high, high: high, mt: MigrateType.unmovable.rawValue)
            let decayed = max(high - high >> 3, z.pcp[1].highMin)
            XCTAssertLessThan(high - decayed, z.pcp[1].batch << K.pcpBatchScaleMax, "an uncapped decay")
            let allocated = m.allocatedPages
            var w: Workload = TraceReplay(records: [TraceRecord(cpu: 1, timeNs: 2_000_000, pfn: -1, order: 0, kind: .tick)],
                                          endNs: 3_000_000, drainsTraced: traced)
            try Engine(machine: m, seed: 1).run(&w, opsOrToEnd: nil)
            let r = try XCTUnwrap(w as? TraceReplay)
            XCTAssertEqual(z.pcp[1].count, decayed)
            XCTAssertEqual(z.pcp[1].high, decayed)
            XCTAssertEqual(r.decayTakenUntraced, traced ? high - decayed : 0)
            XCTAssertEqual(m.allocatedPages, allocated + r.decayTakenUntraced, "taken pages stay in use; drained ones go back")
            try InvariantChecker().check(m, after: "the tick")
        }
    }

    /// A free whose CPU traced a drain next took its PCP over high; one followed by anything
    /// else did not. Before a free the kernel did not drain after, the replay takes as many
    /// pages as keep its count under high, within the budget the kernel's balance gives, and
    /// nothing without one or when the kernel drained.
    func testAFreeTheKernelDidNotDrainAfterTakesWithinTheBudget() throws {
        let text = """
            a-2 [001] .....  1.000000: mm_page_free: page=0 pfn=0x2000 order=0
            a-2 [001] d..2.  1.000001: mm_page_pcpu_drain: page=0 pfn=0x3000 order=0 migratetype=1
            a-2 [001] .....  1.000100: mm_page_free: page=0 pfn=0x2001 order=0
            a-2 [001] .....  1.000200: mm_page_alloc: page=0 pfn=0x2002 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE
            """
        let c = try TraceText.capture(text, cpus: 2)
        XCTAssertEqual(c.records.filter { $0.kind == .free }.map(\.drainedAfter), [true, false])

        for (budget, drainedAfter) in [(5, false), (0, false), (5, true)] {
            let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2, nodes: 1))
            let z = try XCTUnwrap(m.populatedZones.last)
            let high = z.pcp[1].highMax
            m.presetPCP(nid: z.nid, zone: z.type, cpu: 1, count: high - 1, high: high, mt: MigrateType.unmovable.rawValue)
            let pfn = z.geometry.startPFN + z.geometry.spanned / 2
            var w = TraceReplay(records: [TraceRecord(cpu: 0, timeNs: 0, pfn: pfn, order: 0, kind: .alloc(kind: .anon, atomic: false)),
                                          TraceRecord(cpu: 1, timeNs: 1000, pfn: pfn, order: 0, kind: .free, drainedAfter: drainedAfter)])
            w.freePathBudget = [[], (0..<m.zones.count).map { $0 == z.id ? budget : 0 }]
            var any: Workload = w
            try Engine(machine: m, seed: 1).run(&any, opsOrToEnd: nil)
            let r = try XCTUnwrap(any as? TraceReplay)
            let takes = budget > 0 && !drainedAfter
            XCTAssertEqual(r.freePathTakenUntraced, takes ? 1 : 0, "budget \(budget), drained \(drainedAfter)")
            XCTAssertEqual(z.pcp[1].count, takes ? high - 1 : high - z.pcp[1].batch, "budget \(budget), drained \(drainedAfter)")
            try InvariantChecker().check(m, after: "the free")
        }
    }

    /// A list that runs empty before the kernel's first refill of it owes, at that refill, what
    /// its own early refill added less what it still holds; a second replay that starts it that
    /// much longer (from the unnamed pages, count unchanged) refills where the kernel did.
    func testAListThatRanEmptyBeforeTheKernelsFirstRefillStartsLonger() throws {
        let unmovable = MigrateType.unmovable.rawValue, movable = MigrateType.movable.rawValue
        func replay(longer: [TraceReplay.ListKey: Int]) throws -> (TraceReplay, Zone, [Int]) {
            let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2, nodes: 1))
            let z = try XCTUnwrap(m.populatedZones.last)
            let high = z.pcp[1].highMax
            m.presetPCP(nid: z.nid, zone: z.type, cpu: 1, count: 1, high: high, mt: unmovable)
            m.presetPCP(nid: z.nid, zone: z.type, cpu: 1, count: 10, high: high, mt: movable)
            let pfn = z.geometry.startPFN + z.geometry.spanned / 2
            let alloc = { (n: Int, refilled: Bool) in
                TraceRecord(cpu: 1, timeNs: Int64(n) * 1000, pfn: pfn + n, order: 0, kind: .alloc(kind: .kernel, atomic: false), refilled: refilled)
            }
            var w = TraceReplay(records: [alloc(0, false), alloc(1, false), alloc(2, true)])
            w.unnamedLists = [[], (0..<m.zones.count).map { $0 == z.id ? movable : -1 }]
            w.unnamedPages = [[], (0..<m.zones.count).map { $0 == z.id ? 10 : 0 }]
            w.listStartLonger = longer
            m.setTracer(Tracer())
            var refills: [Int] = []
            var any: Workload = w
            let engine = Engine(machine: m, seed: 1)
            engine.traceSink = { _, _, fired in
                refills.append(fired.filter { if case .zoneLocked(_, 0, _, true) = $0 { true } else { false } }.count)
            }
            try engine.run(&any, opsOrToEnd: nil)
            try InvariantChecker().check(m, after: "the replay")
            return (try XCTUnwrap(any as? TraceReplay), z, refills.filter { $0 > 0 })
        }
        let (first, z, early) = try replay(longer: [:])
        let key = TraceReplay.ListKey(cpu: 1, zone: z.id, mt: unmovable)
        XCTAssertEqual(early.count, 1, "the replay refills at the second allocation")
        XCTAssertEqual(first.listShortfalls, [key: 1])
        XCTAssertEqual(first.listStartCorrections, [key: 1])
        let (second, z2, refills) = try replay(longer: first.listStartCorrections)
        XCTAssertEqual(second.listStartMoved, [key: 1])
        XCTAssertEqual(second.listShortfalls, [:])
        XCTAssertEqual(refills.count, 1, "only at the kernel's refill")
        XCTAssertEqual(z2.pcp[1].count, z.pcp[1].count, "the move leaves count as it was; one refill each")
    }

    func testAllocPagesBulkEmptiesOneListUntraced() throws {
        let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2, nodes: 1))
        var held: [PageRef] = []
        for _ in 0..<40 { held.append(try XCTUnwrap(m.allocPages(cpu: 0, order: 0, kind: .kernel))) }
        for _ in 0..<5 { _ = try XCTUnwrap(m.allocPages(cpu: 0, order: 0, kind: .anon)) }
        for r in held { try m.freePages(cpu: 0, r, order: 0) }
        let z = m.zones[Int(held[0].zone)]
        let unmovable = z.pcpListLength(cpu: 0, pindex: orderToPindex(MigrateType.unmovable.rawValue, 0))
        let movable = z.pcpListLength(cpu: 0, pindex: orderToPindex(MigrateType.movable.rawValue, 0))
        XCTAssertGreaterThanOrEqual(unmovable, 40)
        XCTAssertGreaterThan(movable, 0)
        z.pcp[0].freeCount = 500
        let count = z.pcp[0].count, allocated = m.allocatedPages, hits = z.numaEvent(.hit)
        m.setTracer(Tracer())
        XCTAssertEqual(m.allocPagesBulk(cpu: 0, pfn: m.pfn(of: held[0]), mt: MigrateType.unmovable.rawValue), unmovable)
        XCTAssertEqual(m.tracer?.events.count, 0, "no mm_page_alloc")
        XCTAssertEqual(z.pcpListLength(cpu: 0, pindex: orderToPindex(MigrateType.unmovable.rawValue, 0)), 0)
        XCTAssertEqual(z.pcpListLength(cpu: 0, pindex: orderToPindex(MigrateType.movable.rawValue, 0)), movable)
        XCTAssertEqual(z.pcp[0].count, count - unmovable)
        XCTAssertEqual(m.allocatedPages, allocated + unmovable)
        XCTAssertEqual(z.numaEvent(.hit), hits + unmovable, "zone_statistics() counts each page")
        XCTAssertEqual(z.pcp[0].freeCount, 500, "__rmqueue_pcplist() leaves free_count alone")
        XCTAssertEqual(m.allocPagesBulk(cpu: 0, pfn: m.pfn(of: held[0]), mt: MigrateType.unmovable.rawValue), 0, "an empty list gives nothing")
        try InvariantChecker().check(m, after: "alloc_pages_bulk")
    }

    /// A page freed twice with no event between was taken again untraced (alloc_pages_bulk())
    /// off the first free's CPU's list: its allocation is replayed on that CPU, before that
    /// list's next refill (a list refills only once empty) or else before the second free,
    /// and only for an UNMOVABLE pageblock (a refill names block 1's type; block 2's comes from
    /// a traced MOVABLE allocation) and a free that reached the PCP (not under pcp->lock).
    func testPagesFreedTwiceWereAllocatedUntracedOnTheFirstFreesCPU() throws {
        let text = """
            a-2 [000] d..3.  1.000000: mm_page_alloc_zone_locked: page=0 pfn=0x200 order=0 migratetype=0 percpu_refill=1
            a-2 [000] d..3.  1.000000: mm_page_alloc_zone_locked: page=0 pfn=0x201 order=0 migratetype=0 percpu_refill=1
            a-2 [000] .....  1.000100: mm_page_alloc: page=0 pfn=0x200 order=0 migratetype=0 gfp_flags=GFP_KERNEL
            a-2 [000] .....  1.000200: mm_page_alloc: page=0 pfn=0x201 order=0 migratetype=0 gfp_flags=GFP_KERNEL
            a-2 [000] .....  1.000300: mm_page_free: page=0 pfn=0x210 order=0
            k-3 [001] .....  1.000400: mm_page_free: page=0 pfn=0x210 order=0
            a-2 [000] .....  1.000450: mm_page_alloc: page=0 pfn=0x400 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE
            a-2 [000] .....  1.000500: mm_page_free: page=0 pfn=0x400 order=0
            k-3 [001] .....  1.000600: mm_page_free: page=0 pfn=0x400 order=0
            a-2 [000] .....  1.000700: mm_page_free: page=0 pfn=0x211 order=0
            a-2 [000] d..3.  1.000800: mm_page_alloc_zone_locked: page=0 pfn=0x220 order=0 migratetype=0 percpu_refill=1
            a-2 [000] d..3.  1.000800: mm_page_alloc_zone_locked: page=0 pfn=0x221 order=0 migratetype=0 percpu_refill=1
            a-2 [000] .....  1.000810: mm_page_free: page=0 pfn=0x212 order=0
            a-2 [000] .....  1.000900: mm_page_alloc: page=0 pfn=0x220 order=0 migratetype=0 gfp_flags=GFP_KERNEL
            k-3 [001] .....  1.001000: mm_page_free: page=0 pfn=0x211 order=0
            k-3 [001] .....  1.001100: mm_page_free: page=0 pfn=0x212 order=0
            """
        let c = try TraceText.capture(text, cpus: 2)
        let allocs = c.records.filter { if case .alloc = $0.kind { true } else { false } }
        // 0x210: on CPU 0 before its second free; 0x400 (MOVABLE) and 0x212 (freed inside a
        // refill, to the buddy) not at all; 0x211 on CPU 0 before the refill of 0x220.
        XCTAssertEqual(allocs.map(\.pfn), [0x200, 0x201, 0x210, 0x400, 0x211, 0x220])
        XCTAssertEqual(allocs.map(\.cpu), [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(c.records.map(\.pfn), [0x200, 0x201, 0x210, 0x210, 0x210, 0x400, 0x400, 0x400, 0x211, 0x211, 0x220, 0x212, 0x211, 0x212])
        XCTAssertEqual(c.records[9].timeNs, 700_000, "the inferred allocation takes the refill's time")
        XCTAssertEqual(c.freedTakenUntraced, 2)
        XCTAssertEqual(c.refilledTakenUntraced, 0)
    }

    /// The inferred allocations before a list's first refill count towards its starting
    /// length: the list handed out 0x200, took it back, lost it to alloc_pages_bulk() and
    /// handed out 0x201 before it ran dry, so it held 2 pages (1 from the traced events alone).
    func testTheStartingLengthCountsTheInferredAllocations() throws {
        let text = """
            a-2 [000] .....  1.000000: mm_page_alloc: page=0 pfn=0x200 order=0 migratetype=0 gfp_flags=GFP_KERNEL
            a-2 [000] .....  1.000100: mm_page_free: page=0 pfn=0x200 order=0
            k-3 [001] .....  1.000200: mm_page_free: page=0 pfn=0x200 order=0
            a-2 [000] .....  1.000300: mm_page_alloc: page=0 pfn=0x201 order=0 migratetype=0 gfp_flags=GFP_KERNEL
            a-2 [000] d..3.  1.000400: mm_page_alloc_zone_locked: page=0 pfn=0x300 order=0 migratetype=0 percpu_refill=1
            a-2 [000] d..3.  1.000400: mm_page_alloc_zone_locked: page=0 pfn=0x301 order=0 migratetype=0 percpu_refill=1
            a-2 [000] .....  1.000500: mm_page_alloc: page=0 pfn=0x300 order=0 migratetype=0 gfp_flags=GFP_KERNEL
            """
        let starts = try TraceText.pcpListStart(text) { _ in (0, .normal) }
        XCTAssertEqual(starts[TraceText.PCPListKey(cpu: 0, nid: 0, zone: .normal, mt: 0)], 2)
        XCTAssertEqual(try TraceText.capture(text, cpus: 2).freedTakenUntraced, 1)
    }

    /// free_pcppages_bulk() leaves a list only once it is empty, going round from the list it
    /// started at: a drain that moves on to a list further round shows the one before it empty,
    /// so that list's length is known there (here 1 handed out + 2 drained), while the list it
    /// ended on is only bounded from below. A drain that comes back round (a new call) shows
    /// nothing.
    func testADrainThatMovesOnShowsTheListItLeftEmpty() throws {
        let text = """
            a-2 [000] .....  1.000000: mm_page_alloc: page=0 pfn=0x200 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE
            k-3 [000] d..3.  1.000100: mm_page_pcpu_drain: page=0 pfn=0x210 order=0 migratetype=1
            k-3 [000] d..3.  1.000100: mm_page_pcpu_drain: page=0 pfn=0x211 order=0 migratetype=1
            k-3 [000] d..3.  1.000100: mm_page_pcpu_drain: page=0 pfn=0x220 order=0 migratetype=2
            k-3 [001] d..3.  1.000100: mm_page_pcpu_drain: page=0 pfn=0x230 order=0 migratetype=2
            k-3 [001] d..3.  1.000100: mm_page_pcpu_drain: page=0 pfn=0x231 order=0 migratetype=1
            """
        let e = try TraceText.pcpListEvidence(text) { _ in (0, .normal) }
        let movable0 = TraceText.PCPListKey(cpu: 0, nid: 0, zone: .normal, mt: 1), reclaimable0 = TraceText.PCPListKey(cpu: 0, nid: 0, zone: .normal, mt: 2)
        XCTAssertEqual(e.lengths[movable0], 3)
        XCTAssertTrue(e.refilled.contains(movable0), "its length is exact")
        XCTAssertEqual(e.lengths[reclaimable0], 1)
        XCTAssertFalse(e.refilled.contains(reclaimable0))
        let reclaimable1 = TraceText.PCPListKey(cpu: 1, nid: 0, zone: .normal, mt: 2)
        XCTAssertFalse(e.refilled.contains(reclaimable1), "MOVABLE comes before RECLAIMABLE: a new call")
    }

    /// decay_pcp_high() asks free_pcppages_bulk() for batch pages a call, and each call takes
    /// blocks until it has them: a drain's block orders give what decay asked within the last
    /// block's overshoot.
    func testADecayDrainsBlocksGiveWhatItAskedWithinTheLastOvershoot() {
        XCTAssertEqual(ReplayCheck.decayToDrain(orders: Array(repeating: 0, count: 73), batch: 63), 73...73)
        XCTAssertEqual(ReplayCheck.decayToDrain(orders: Array(repeating: 3, count: 8), batch: 63), 57...63)
        XCTAssertEqual(ReplayCheck.decayToDrain(orders: Array(repeating: 3, count: 8) + Array(repeating: 0, count: 5), batch: 63), 68...68)
        XCTAssertEqual(ReplayCheck.decayToDrain(orders: Array(repeating: 0, count: 62) + [3], batch: 63), 63...63)
    }

    func testRunsCountExtfragPagesOnceAndSplitOnOtherEvents() {
        typealias E = ReplayCheck.Event
        let events = [E(kind: .refill, order: 0, mt: 1, pfn: 1, timeNs: 0), E(kind: .extfrag, pfn: 1, timeNs: 0),
                      E(kind: .refill, order: 0, mt: 1, pfn: 2, timeNs: 0), E(kind: .extfrag, pfn: 7, timeNs: 0),
                      E(kind: .other, timeNs: 0), E(kind: .drain, timeNs: 1), E(kind: .drain, timeNs: 1),
                      E(kind: .other, timeNs: 2), E(kind: .drain, timeNs: 2)]
        XCTAssertEqual(ReplayCheck.runs(events).map(\.length), [3, 2, 1])
        XCTAssertEqual(ReplayCheck.runs(events).map(\.kind), [.refill, .drain, .drain])
    }

    /// A page drained to the buddy and allocated again with no zone_locked, fallback or free of
    /// it between came back by a path the capture does not show; one refilled first did not.
    func testAnAllocationOfADrainedPageWithNoBuddyEventIsFlagged() throws {
        let text = """
            a-2 [000] .....  0.900000: mm_page_alloc: page=0 pfn=0x200 order=0 migratetype=0 gfp_flags=GFP_KERNEL
            k-1 [001] d..2.  1.000000: mm_page_pcpu_drain: page=0 pfn=0x300 order=0 migratetype=0
            k-1 [001] d..2.  1.000001: mm_page_pcpu_drain: page=0 pfn=0x301 order=0 migratetype=0
            a-2 [001] d..3.  1.100000: mm_page_alloc_zone_locked: page=0 pfn=0x301 order=0 migratetype=0 percpu_refill=1
            a-2 [001] .....  1.100001: mm_page_alloc: page=0 pfn=0x301 order=0 migratetype=0 gfp_flags=GFP_KERNEL
            a-2 [000] .....  1.200000: mm_page_alloc: page=0 pfn=0x300 order=0 migratetype=0 gfp_flags=GFP_NOWAIT
            """
        let c = try TraceText.capture(text, cpus: 2)
        XCTAssertEqual(c.records.filter(\.returnedUntraced).map { [$0.cpu, Int($0.timeNs), $0.pfn] }, [[0, 300_000_000, 0x300]])
    }

    /// The kernel's list handed out a page that came back from the buddy untraced, so the
    /// replay moves one from the buddy to that list first: count and list length stay.
    func testAnUntracedReturnMovesAPageFromTheBuddyToTheList() throws {
        let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2, nodes: 1))
        let z = try XCTUnwrap(m.populatedZones.last)
        let movable = MigrateType.movable.rawValue  // a booted machine's free pages are MOVABLE
        m.presetPCP(nid: z.nid, zone: z.type, cpu: 1, count: 5, high: z.pcp[1].highMax, mt: movable)
        let pfn = z.geometry.startPFN + z.geometry.spanned / 2
        let buddy = { (0...K.maxOrder).reduce(0) { n, o in n + (0..<MigrateType.count).reduce(0) { $0 + (z.freeCount(order: o, mt: $1) << o) } } }
        let free = buddy(), count = z.pcp[1].count, length = z.pcpListLength(cpu: 1, pindex: orderToPindex(movable, 0))
        var w: Workload = TraceReplay(records: [TraceRecord(cpu: 1, timeNs: 0, pfn: pfn, order: 0, kind: .alloc(kind: .anon, atomic: false),
                                                            returnedUntraced: true)])
        try Engine(machine: m, seed: 1).run(&w, opsOrToEnd: nil)
        XCTAssertEqual((w as? TraceReplay)?.returnedUntraced.last?[z.id], 1)
        XCTAssertEqual(z.pcp[1].count, count)
        XCTAssertEqual(z.pcpListLength(cpu: 1, pindex: orderToPindex(movable, 0)), length)
        XCTAssertEqual(buddy(), free - 1, "the page left the buddy")
        try InvariantChecker().check(m, after: "the return")
    }

    /// Pages the kernel's lists lost and its free lists gained with no event: off the list's
    /// tail into the buddy, count down and pages free up by as many, no tracepoint fired.
    func testAnUntracedDrainMovesPagesFromTheListToTheBuddy() throws {
        let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2, nodes: 1))
        let z = try XCTUnwrap(m.populatedZones.last)
        let movable = MigrateType.movable.rawValue
        m.presetPCP(nid: z.nid, zone: z.type, cpu: 1, count: 5, high: z.pcp[1].highMax, mt: movable)
        let tracer = Tracer()
        m.setTracer(tracer)
        let free = z.pageStateExact(.nrFreePages)
        XCTAssertEqual(m.drainPCPUntraced(cpu: 1, pfn: z.geometry.startPFN, mt: movable, limit: 3), 3)
        XCTAssertEqual(z.pcp[1].count, 2)
        XCTAssertEqual(z.pcpListLength(cpu: 1, pindex: orderToPindex(movable, 0)), 2)
        XCTAssertEqual(z.pageStateExact(.nrFreePages), free + 3)
        XCTAssertTrue(tracer.events.isEmpty, "no event")
        XCTAssertEqual(m.drainPCPUntraced(cpu: 1, pfn: z.geometry.startPFN, mt: movable, limit: 9), 2, "at most the list")
        try InvariantChecker().check(m, after: "the untraced drain")
    }

    /// A page freed on one CPU and allocated next on another, with no event between, was on
    /// the freeing CPU's list; a free then a drain, or an allocation on the same CPU, is not.
    func testAnAllocationOfAPageFreedOnAnotherCPUNamesThatList() throws {
        let text = """
            a-2 [001] .....  1.000000: mm_page_free: page=0 pfn=0x300 order=0
            a-2 [001] .....  1.000001: mm_page_free: page=0 pfn=0x301 order=0
            a-2 [001] .....  1.000002: mm_page_free: page=0 pfn=0x302 order=0
            k-1 [001] d..2.  1.100000: mm_page_pcpu_drain: page=0 pfn=0x301 order=0 migratetype=0
            b-3 [000] .....  1.200000: mm_page_alloc: page=0 pfn=0x300 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE
            a-2 [001] .....  1.200001: mm_page_alloc: page=0 pfn=0x302 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE
            """
        let c = try TraceText.capture(text, cpus: 2)
        XCTAssertEqual(c.records.filter { $0.listCPU != nil }.map { [$0.cpu, $0.pfn, $0.listCPU!] }, [[0, 0x300, 1]])
        XCTAssertFalse(c.records.contains { $0.listCPU != nil && $0.returnedUntraced })
    }

    /// Such an allocation takes its page from the freeing CPU's list: that CPU's count falls,
    /// the allocating CPU's stays.
    func testAnAllocationServedByAnotherCPUsListTakesFromIt() throws {
        let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2, nodes: 1))
        let z = try XCTUnwrap(m.populatedZones.last)
        let movable = MigrateType.movable.rawValue
        m.presetPCP(nid: z.nid, zone: z.type, cpu: 1, count: 5, high: z.pcp[1].highMax, mt: movable)
        let pfn = z.geometry.startPFN + z.geometry.spanned / 2
        let count0 = z.pcp[0].count
        var w: Workload = TraceReplay(records: [TraceRecord(cpu: 0, timeNs: 0, pfn: pfn, order: 0, kind: .alloc(kind: .anon, atomic: false),
                                                            listCPU: 1)])
        try Engine(machine: m, seed: 1).run(&w, opsOrToEnd: nil)
        XCTAssertEqual(z.pcp[1].count, 4)
        XCTAssertEqual(z.pcp[0].count, count0, "no refill on the CPU that traced it")
        try InvariantChecker().check(m, after: "the allocation")
    }

    /// 6.18's rules for what an event moves: refills and drains between the free lists and the
    /// CPU's PCP, a zone_locked block for its caller (its mm_page_alloc takes nothing off the
    /// PCP), PCP orders freed to the freeing CPU's PCP and others to the free lists, and a
    /// fallback page traced by mm_page_alloc_extfrag alone going where the CPU's next event says.
    func testTheBalanceFollowsTheEventsByTheKernelsRules() {
        var b = ReplayCheck.Balance(zones: 2, cpus: 2)
        b.add(cpu: 0, .locked(refill: true), pfn: 8, order: 0, zone: 1)
        b.add(cpu: 0, .extfrag, pfn: 8, order: 0, zone: 1)        // names the page just traced
        b.add(cpu: 0, .extfrag, pfn: 512, order: 0, zone: 1)      // a fallback page, then more refill
        b.add(cpu: 0, .locked(refill: true), pfn: 513, order: 0, zone: 1)
        XCTAssertEqual(b.buddy[1], -3)
        XCTAssertEqual(b.pcp[1][0], 3)
        b.add(cpu: 1, .extfrag, pfn: 1024, order: 1, zone: 1)     // a fallback page for its caller
        b.add(cpu: 1, .alloc, pfn: 1024, order: 1, zone: 1)
        b.add(cpu: 1, .locked(refill: false), pfn: 2048, order: 4, zone: 1)
        b.add(cpu: 1, .alloc, pfn: 2048, order: 4, zone: 1)
        XCTAssertEqual(b.buddy[1], -3 - 2 - 16)
        XCTAssertEqual(b.pcp[1][1], 0)
        b.add(cpu: 1, .free, pfn: 8, order: 0, zone: 1)           // freed on another CPU: on CPU 1's PCP
        b.add(cpu: 1, .free, pfn: 2048, order: 4, zone: 1)        // not a PCP order
        b.add(cpu: 1, .free, pfn: 4096, order: 9, zone: 1)        // the THP order is
        b.add(cpu: 0, .alloc, pfn: 513, order: 0, zone: 1)
        b.add(cpu: 1, .drain, pfn: 8, order: 0, zone: 1)
        XCTAssertEqual(b.pcp[1], [2, 512])
        XCTAssertEqual(b.buddy, [0, -21 + 16 + 1])
    }
}
