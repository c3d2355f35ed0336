import XCTest
import PCPModel
import PCPRender
import PCPScenario

/// Boot and run through a scenario: the order of boot steps, and a saved scenario that
/// reproduces its run byte for byte.
final class ScenarioRunTests: XCTestCase {
    func json(_ r: ScenarioRun) throws -> Data { try PrettyJSON.encode(XCTUnwrap(r.metrics)) }

    func testSavedScenarioReproducesTheRun() throws {
        let dir = Support.tempDir("reproduce")
        for policy in Policy.allCases {
            var s = Support.small(policy: policy)
            s.knobs = [KnobSetting(name: "vm.percpu_pagelist_high_fraction", value: "8", origin: "test")]
            s.seed = 7
            try ScenarioFile.save(s, to: dir + "/s.json")
            XCTAssertEqual(try json(ScenarioFile.load(dir + "/s.json").run()), try json(s.run()), "\(policy)")
        }
    }

    /// --duration: the run stops once the slowest CPU passes the simulated time, and a saved
    /// scenario keeps the duration.
    func testDurationInSimulatedSeconds() throws {
        var s = Support.small(policy: .baseline)
        s.duration = .seconds(0.02)
        s.seriesPoints = 10
        let r = try s.run()
        let m = try XCTUnwrap(r.metrics)
        XCTAssertGreaterThanOrEqual(m.simSeconds, 0.02)
        XCTAssertLessThan(m.simSeconds, 0.0201, "stops at the first operations past the time")
        XCTAssertGreaterThanOrEqual(m.series.count, 9, "samples spread over the duration")
        let dir = Support.tempDir("duration")
        try ScenarioFile.save(s, to: dir + "/s.json")
        XCTAssertEqual(try ScenarioFile.load(dir + "/s.json").duration, .seconds(0.02))
        XCTAssertEqual(try json(ScenarioFile.load(dir + "/s.json").run()), try json(r))
    }

    /// Several jemalloc purgers share one dirty pool: a burst one of them starts may be freed
    /// by another (this crashed on an empty pool, found by analyze --sensitivity).
    func testJemallocPurgersShareTheDirtyPool() throws {
        var s = Support.small(policy: .baseline)
        s.params = ["purgers": "3", "burst": "64", "pages": "64"]
        s.duration = .ops(50_000)
        let m = try XCTUnwrap(s.run().metrics)
        XCTAssertEqual(m.ops, 50_000)
        XCTAssertGreaterThan(m.pagesFreed, 0)
    }

    /// Knobs come after the policy and after an imported machine's state, in their order.
    func testBootOrder() throws {
        var s = Scenario()
        s.machine = .imported(ImportedMachine(zoneinfo: Support.root + "/fixtures/trace-6.18/faultloop-160M/zoneinfo-before.txt", pcpState: .movable))
        func normalCPU0(_ m: Machine) -> Snapshot.PCP { m.snapshot().zones.first { $0.geometry.type == .normal }!.pcp[0] }
        let preset = normalCPU0(try s.boot())
        XCTAssertEqual(preset.count, 6272, "zoneinfo's count")
        XCTAssertEqual(preset.high, 6806, "zoneinfo's high")

        s.knobs = [KnobSetting(name: "vm.percpu_pagelist_high_fraction", value: "100", origin: "1"),
                   KnobSetting(name: "vm.percpu_pagelist_high_fraction", value: "8", origin: "2"),
                   KnobSetting(name: "sys.kernel.mm.pcpsim.policy", value: "pcp-merge", origin: "3")]
        let m = try s.boot()
        XCTAssertEqual(m.knobs.percpuPagelistHighFraction, 8, "the last write wins")
        XCTAssertEqual(m.policy, .pcpMerge, "a policy knob comes after the scenario's policy")
        XCTAssertEqual(normalCPU0(m).count, 0, "the policy switch drained the preset pages: knobs come after the import")
    }

    func testKnobErrorsNameTheirOrigin() throws {
        var s = Support.small()
        let cases: [(KnobSetting, String)] = [
            (KnobSetting(name: "vm.nope", value: "1", origin: "f.conf:2"), "f.conf:2: unknown knob 'vm.nope'"),
            (KnobSetting(name: "vm.watermark_scale_factor", value: "0", origin: "--sysctl"), "--sysctl: vm.watermark_scale_factor=0: Invalid argument"),
            (KnobSetting(name: "sys.kernel.mm.pcpsim.pace", value: "2", origin: "--sysctl"), "a file of a running mount"),
        ]
        for (k, mentions) in cases {
            s.knobs = [k]
            XCTAssertThrowsError(try s.boot()) { XCTAssertTrue("\($0)".contains(mentions), "\($0)") }
        }
    }

    func testSysctlFileLinesKeepTheirOrderAndOrigin() throws {
        let knobs = try KnobSetting.file("# c\nvm.min_free_kbytes = 67584\n\n; c\n  vm.watermark_scale_factor=20  \n", path: "s.conf")
        XCTAssertEqual(knobs, [KnobSetting(name: "vm.min_free_kbytes", value: "67584", origin: "s.conf:2"),
                               KnobSetting(name: "vm.watermark_scale_factor", value: "20", origin: "s.conf:5")])
        XCTAssertThrowsError(try KnobSetting.file("vm.x 1\n", path: "s.conf")) { XCTAssertEqual("\($0)", "s.conf:1: expected NAME = VALUE") }
    }

    func testNoWorkloadBootsOnly() throws {
        var s = Support.small()
        s.workload = .none
        let r = try s.run()
        XCTAssertNil(r.engine)
        XCTAssertNil(r.metrics)
    }

    func testTraceOutWritesTheEvents() throws {
        let dir = Support.tempDir("traceout")
        var s = Support.small()
        s.traceOut = dir + "/t.txt"
        _ = try s.run()
        let text = try String(contentsOfFile: dir + "/t.txt", encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("# tracer: nop\n"))
        XCTAssertTrue(text.contains(": mm_page_alloc: page="))
    }
}
