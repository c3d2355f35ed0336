import XCTest
@testable import PCPModel
import PCPRender
import PCPScenario

/// State files: a run saved at operation N and continued to M prints what a run straight to M
/// prints, and a damaged, foreign or other-version file is refused whole.
final class StateFileTests: XCTestCase {
    /// What a run prints: its metrics and every file of the machine it leaves.
    func outputs(_ r: ScenarioRun) throws -> [String] {
        let s = r.snapshot()
        let metrics = String(decoding: try PrettyJSON.encode(XCTUnwrap(r.metrics)), as: UTF8.self)
        return [metrics] + ProcFiles.all(for: r.machine).map { "\($0.path)\n" + $0.render(s) }
    }

    func scenario(_ workload: String, _ params: [String: String], policy: Policy, memory: String = "128M", cpus: Int = 3) -> Scenario {
        var s = Scenario()
        s.machine = .x86(X86Machine(memory: try! ByteSize(parsing: memory), cpus: cpus))
        s.policy = policy
        s.workload = WorkloadName(workload)!
        s.params = params
        s.seed = 5
        s.checkEvery = 997
        return s
    }

    /// Runs `s` to `m` straight, and to `n` then from its saved state on to `m`.
    func assertResumes(_ s: Scenario, at n: Int, to m: Int, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = Support.tempDir("resume")
        var straight = s
        straight.duration = .ops(m)
        var first = s
        first.duration = .ops(n)
        try MachineState.write(try first.run().savedState(), to: dir + "/at-n.state")
        var more = Scenario()
        more.duration = .ops(m - n)
        more.checkEvery = s.checkEvery
        let resumed = try MachineState.load(dir + "/at-n.state").run(more)
        let whole = try straight.run()
        let a = try outputs(whole), b = try outputs(resumed)
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        XCTAssertEqual(whole.metrics?.ops, m)
        for (x, y) in zip(a, b) where x != y {
            XCTFail("\(what): \(x.prefix(while: { $0 != "\n" })) differs after the resume", file: file, line: line)
            return
        }
    }

    func testResumedRunPrintsWhatTheStraightRunPrints() throws {
        for policy in Policy.allCases {
            for (w, p) in [("random", [:]), ("kbuild", [:]), ("mix:jemalloc-purge+contig", ["cpus": "shared", "b.every": "300"]),
                           ("thp", [:]), ("exit-avalanche", ["pages": "3000"])] as [(String, [String: String])] {
                try assertResumes(scenario(w, p, policy: policy), at: 2_503, to: 6_000, "\(policy) \(w)")
            }
        }
    }

    /// Reclaim (kswapd streaming a file twice memory) and compaction (THP faults on a
    /// fragmented region) are under way at the save.
    func testResumesWithReclaimAndCompactionUnderWay() throws {
        for policy in Policy.allCases {
            try assertResumes(stream(policy), at: 16_000, to: 20_000, "\(policy) stream")
            try assertResumes(fragment(policy), at: 7_600, to: 9_000, "\(policy) fragment")
        }
        // The state at the save point really was reclaiming and compacting.
        var s = stream(.baseline)
        s.duration = .ops(16_000)
        XCTAssertGreaterThan(try s.run().machine.events[VMEvent.pgscanKswapd.rawValue], 0)
        var f = fragment(.baseline)
        f.duration = .ops(7_600)
        XCTAssertGreaterThan(try f.run().machine.events[VMEvent.compactStall.rawValue], 0)
    }

    /// An aged machine (its long-lived processes' movable anon, slab, page cache) with swap, a
    /// hog swapping and the OOM killer at work, and contig migrating held folios.
    func testResumesAnAgedMachineWithSwap() throws {
        for policy in [Policy.baseline, .pcpBuddy] {
            var hog = scenario("memhog", ["procs": "2", "mb": "40"], policy: policy, memory: "64M", cpus: 2)
            hog.swap = try ByteSize(parsing: "16M")
            hog.age = 20
            try assertResumes(hog, at: 9_000, to: 14_000, "\(policy) aged memhog with swap")
            var contig = scenario("contig", [:], policy: policy, memory: "64M", cpus: 2)
            contig.age = 20
            try assertResumes(contig, at: 3_000, to: 6_000, "\(policy) aged contig")
        }
        var hog = scenario("memhog", ["procs": "2", "mb": "40"], policy: .baseline, memory: "64M", cpus: 2)
        hog.swap = try ByteSize(parsing: "16M")
        hog.age = 20
        hog.duration = .ops(9_000)
        let r = try hog.run()
        XCTAssertGreaterThan(r.machine.events[VMEvent.pswpout.rawValue], 0, "the hog was swapping at the save")
    }

    func stream(_ policy: Policy) -> Scenario {
        scenario("stream", ["order": "0", "readers": "2", "rate": "100000", "file_mb": "128"], policy: policy, memory: "64M", cpus: 2)
    }

    func fragment(_ policy: Policy) -> Scenario {
        scenario("fragment", ["mib": "8", "thps": "10", "madvise": "1"], policy: policy, memory: "64M", cpus: 2)
    }

    /// The invariant checker's memory of past counters crosses the save: a state whose counter
    /// is below what the checker saw before the save is refused (a fresh checker, all a restore
    /// had before, takes it), and a resumed run's checker goes on from the saved memory.
    func testCheckerMemoryCrossesTheSave() throws {
        let dir = Support.tempDir("checker")
        var s = scenario("random", [:], policy: .pcpBuddy)
        s.duration = .ops(3000)
        func load(_ r: ScenarioRun) throws -> MachineState {
            try MachineState.write(r.savedState(), to: dir + "/x.state")
            return try MachineState.load(dir + "/x.state")
        }
        func resume(_ st: MachineState) throws -> Engine {
            let e = Engine(machine: st.machine, seed: 5)
            try st.restore(e)
            return e
        }
        let r = try s.run()
        let saw = r.engine!.checker.lastEvents
        XCTAssertEqual(saw.count, VMEvent.count, "--check left the checker a memory")
        XCTAssertEqual(try resume(load(r)).checker.lastEvents, saw, "the resumed checker holds the counters it saw before the save")
        // pgfree one below what the checker saw: the state still passes its checksum and every
        // structural check, and only the checker's saved memory catches it.
        r.machine.countEvent(.pgfree, -1)
        let lowered = try load(r)
        XCTAssertNoThrow(try InvariantChecker().check(lowered.machine, after: "a fresh checker"))
        XCTAssertThrowsError(try resume(lowered)) { e in
            XCTAssertTrue("\(e)".contains("event counter pgfree went backwards"), "\(e)")
            XCTAssertFalse("\(e)".contains("\n"), "one line: \(e)")
        }
    }

    /// The same machine saves the same bytes, in another process too (no struct padding is
    /// saved: it holds whatever the stack held).
    func testTheSameMachineSavesTheSameBytes() throws {
        var s = scenario("mix:kbuild+contig", [:], policy: .pcpBuddy)
        s.duration = .ops(8000)
        let a = try s.run().savedState()
        XCTAssertEqual(try s.run().savedState(), a)
    }

    /// A state holding figures no kernel could hold is refused, not rendered: a reserve larger
    /// than memory (fuzz-state-file found one: MemAvailable went negative and
    /// nr_dirty_threshold overflowed), a per-CPU vmstat delta past the largest threshold (it
    /// would let a folded counter stray anywhere while its exact sum still checks out), a
    /// watermark or PCP figure past what the kernel's formulas give, a stored sysctl outside
    /// its range.
    func testImpossibleCountersAreRefused() throws {
        let dir = Support.tempDir("impossible")
        var s = scenario("random", [:], policy: .baseline)
        s.duration = .ops(3000)
        func refusal(_ poke: (Machine) -> Void) throws -> String {
            let r = try s.run()
            poke(r.machine)
            try Data(r.savedState()).write(to: URL(fileURLWithPath: dir + "/x.state"))
            do { _ = try MachineState.load(dir + "/x.state"); return "loaded" } catch { return "\(error)" }
        }
        XCTAssertEqual(try refusal { _ in }, "loaded")
        let tooLarge = try refusal { $0.totalreservePages = $0.zones.reduce(1) { $0 + $1.managed } }
        XCTAssertTrue(tooLarge.contains("totalreserve_pages"), tooLarge)
        XCTAssertTrue(try refusal { $0.totalreservePages = -(1 << 62) }.contains("totalreserve_pages"))
        let zoneDelta = try refusal { $0.zones.first(where: \.isPopulated)!.vmStat.diff[0] = K.maxStatThreshold + 1 }
        XCTAssertTrue(zoneDelta.contains("stat threshold"), zoneDelta)
        XCTAssertTrue(try refusal { $0.nodeStats.diff[0] = -K.maxStatThreshold - 1 }.contains("stat threshold"))
        // Figures every allocation adds up: a mark of 2^62 would overflow the first check.
        let mark = try refusal { $0.zones.first(where: \.isPopulated)!.watermark[1] = 1 << 62 }
        XCTAssertTrue(mark.contains("watermarks"), mark)
        let factor = try refusal { $0.zones.first(where: \.isPopulated)!.pcp[0].allocFactor = K.pcpBatchScaleMax + 1 }
        XCTAssertTrue(factor.contains("PCP of CPU 0"), factor)
        // The sysctls the model only stores: a value no write leaves, a name 6.18 has not.
        let ratio = try refusal { $0.knobs.accepted["dirty_ratio"] = 1 << 40 }
        XCTAssertTrue(ratio.contains("vm.dirty_ratio holds"), ratio)
        XCTAssertTrue(try refusal { $0.knobs.accepted["no_such_knob"] = 1 }.contains("vm.no_such_knob"))
        XCTAssertEqual(try refusal { $0.knobs.accepted["dirty_bytes"] = 0 }, "loaded") // as dirty_ratio's write leaves it
        // The sysctls the model acts on, checked against the ranges their writes use.
        XCTAssertEqual(try refusal { $0.knobs.swappiness = 200 }, "loaded")
        let swappiness = try refusal { $0.knobs.swappiness = 201 }
        XCTAssertTrue(swappiness.contains("swappiness is 201, outside 0...200"), swappiness)
        XCTAssertTrue(try refusal { $0.knobs.minFreeKbytes = -1 }.contains("min_free_kbytes is -1"))
        XCTAssertTrue(try refusal { $0.knobs.percpuPagelistHighFraction = 7 }.contains("percpu_pagelist_high_fraction is 7"))
        XCTAssertTrue(try refusal { $0.knobs.statIntervalJiffies = .min }.contains("stat_interval"))
        XCTAssertTrue(try refusal { $0.knobs.khugepaged.pagesToScan = 0 }.contains("pages_to_scan is 0"))
        XCTAssertTrue(try refusal { $0.knobs.lowmemReserveRatio[1] = -1 }.contains("lowmem_reserve_ratio"))
    }

    /// Every machine knob a write can change reads back the same from the restored state:
    /// each is written through the knob table to a value next to its own, then the machine is
    /// saved and restored (vm.swappiness and contig_pcp once came back at their defaults).
    func testEveryWrittenKnobSurvivesTheSave() throws {
        let dir = Support.tempDir("knobs")
        var s = scenario("random", [:], policy: .pcpBuddy)
        s.duration = .ops(2000)
        let r = try s.run()
        let knobs = KnobTable.all.filter { $0.scope == .machine }
        func read(_ k: Knob, _ m: Machine) -> String? { k.read(KnobView(snapshot: m.snapshot())) }
        /// Values next to a knob's text: the other words of a choice, each entry of a list one
        /// more, a number one either side or a few others.
        func candidates(_ text: String) -> [String] {
            let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if t.contains("[") { return t.split(separator: " ").filter { !$0.hasPrefix("[") }.map(String.init) }
            let parts = t.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if parts.count > 1 { return [parts.map { String((Int($0) ?? 0) + 1) }.joined(separator: " ")] }
            guard let v = Int(t) else { return [] }
            return [String(v + 1), String(v - 1), "1", "0", "8", "100"]
        }
        var changed: [String] = []
        for k in knobs {
            guard let before = read(k, r.machine) else { continue }
            for c in candidates(before) {
                guard let w = try? k.parse(Array(c.utf8)), (try? w.apply(to: r.machine)) != nil else { continue }
                if read(k, r.machine) != before { changed.append(k.path); break }
            }
        }
        XCTAssertGreaterThan(changed.count, 60, "knobs written: \(changed)")
        for name in ["proc/sys/vm/swappiness", "sys/kernel/mm/pcpsim/contig_pcp", "proc/sys/vm/dirty_ratio", "sys/kernel/mm/transparent_hugepage/enabled"] {
            XCTAssertTrue(changed.contains(name), name)
        }
        try MachineState.write(try r.savedState(), to: dir + "/k.state")
        let restored = try MachineState.load(dir + "/k.state").machine
        for k in knobs where read(k, r.machine) != read(k, restored) {
            XCTFail("\(k.path): \(String(reflecting: read(k, r.machine))) before the save, \(String(reflecting: read(k, restored))) after the restore")
        }
    }

    /// The inputs that once crashed or stalled the state-file fuzzer (fixtures/fuzz/state-file),
    /// resealed as the fuzz target reseals them, are each refused for what is wrong with them: a
    /// format change that shifts their fields must carry them over.
    func testFuzzRegressionInputsAreRefused() throws {
        let dir = Support.tempDir("fuzz-regressions")
        let expected = [
            "held-store-ref-range": "a buffer's length is 16384 in the state file but 83 here",
            "memhog-area-range": "memhog's processes do not fit the machine's anonymous areas",
            "oom-page-mover-count": "a length of 12779520 does not fit in the state",
            "timeout-held-store-count": "a length of 274885603948 does not fit in the state",
            "totalreserve-pages-range": "totalreserve_pages is -7557603124681113600, outside 0...6197",
        ]
        let inputs = Support.root + "/fixtures/fuzz/state-file"
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: inputs).sorted(), expected.keys.sorted())
        for (name, message) in expected {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: inputs + "/" + name)))
            try Data(StateFile.encode(Array(bytes.dropFirst(StateFile.headerBytes)))).write(to: URL(fileURLWithPath: dir + "/x.state"))
            do {
                _ = try MachineState.load(dir + "/x.state", note: { _ in })
                XCTFail("\(name) loaded")
            } catch { XCTAssertTrue(error.description.hasSuffix("refused: " + message), "\(name): \(error)") }
        }
    }

    /// A state file that is not one, is of another version, is cut short, has a flipped bit or
    /// trailing bytes is refused with one line saying so, and nothing is loaded.
    func testDamagedFilesAreRefused() throws {
        let dir = Support.tempDir("damaged")
        var s = scenario("random", [:], policy: .pcpBuddy)
        s.duration = .ops(3000)
        let good = try s.run().savedState()
        func refusal(_ bytes: [UInt8]) -> String {
            try! Data(bytes).write(to: URL(fileURLWithPath: dir + "/x.state"))
            do { _ = try MachineState.load(dir + "/x.state"); return "loaded" } catch { return "\(error)" }
        }
        XCTAssertEqual(refusal(good), "loaded")
        var flipped = good
        flipped[flipped.count / 2] ^= 0x10
        XCTAssertTrue(refusal(flipped).contains("damaged: the checksum does not match"), refusal(flipped))
        XCTAssertTrue(refusal(Array(good.prefix(good.count - 100))).contains("truncated"), refusal(Array(good.prefix(good.count - 100))))
        XCTAssertTrue(refusal(Array(good.prefix(20))).contains("truncated"))
        XCTAssertTrue(refusal(good + [0]).contains("truncated or padded"))
        var version = good
        version[8] = 99
        XCTAssertTrue(refusal(version).contains("state format version 99; this pcpsim reads version \(StateFile.formatVersion)"), refusal(version))
        var rng = SplitMix64(seed: 3)
        XCTAssertTrue(refusal((0..<5000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }).contains("not a pcpsim state file"))
        XCTAssertTrue(refusal([]).contains("not a pcpsim state file"))
        XCTAssertTrue(refusal(Array("zone id 0\n".utf8)).contains("not a pcpsim state file"))
        // A well-formed envelope around a payload that is not a machine.
        XCTAssertTrue(refusal(StateFile.encode(Array(repeating: 7, count: 64))).contains("refused"))
        for e in [refusal(flipped), refusal(version), refusal([])] {
            XCTAssertFalse(e.contains("\n"), "one line: \(e)")
            XCTAssertTrue(e.contains(dir + "/x.state"), "names the file: \(e)")
        }
    }
}
