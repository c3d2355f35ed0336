import XCTest
import PCPAnalysis
import PCPModel
import PCPScenario

/// compare and analyze measure from a steady state: a run of two or more stat intervals leaves
/// its first one out. The same run with and without it ends in the same state; its counters
/// differ by what the warm-up did, and the output says which it is.
final class WarmupTests: XCTestCase {
    func scenario(exclude: Bool) -> Scenario {
        var s = Scenario()
        s.machine = .x86(X86Machine(memory: try! ByteSize(parsing: "256M"), cpus: 2))
        s.workload = WorkloadName("fault-loop")!
        s.params = ["pages": "2048"]
        s.duration = .seconds(2.5)
        // 0.2 ms of work per operation keeps 2.5 simulated seconds to about 12,500 operations a CPU.
        s.cost.operationNs = 200_000
        s.excludeWarmup = exclude
        return s
    }

    func testMetricsLeaveOutTheFirstStatInterval() throws {
        let whole = try XCTUnwrap(scenario(exclude: false).run().metrics)
        let steady = try XCTUnwrap(scenario(exclude: true).run().metrics)
        XCTAssertNil(whole.warmupSeconds)
        let w = try XCTUnwrap(steady.warmupSeconds)
        XCTAssertEqual(w, 1.0, accuracy: 0.01, "one stat interval (vm.stat_interval = 1 s)")
        // The same trajectory: the machine ends in the same state.
        XCTAssertEqual(steady.freePageblocks, whole.freePageblocks)
        XCTAssertEqual(steady.perCPU.map(\.pcpHigh), whole.perCPU.map(\.pcpHigh))
        XCTAssertEqual(steady.simSeconds, whole.simSeconds - w, accuracy: 1e-9)
        XCTAssertLessThan(steady.pagesAllocated, whole.pagesAllocated)
        // Refilling the empty PCPs is warm-up work: the steady part takes zone->lock less often
        // per page allocated.
        XCTAssertLessThan(steady.zoneLockAcquisitionsPerMillionPages, whole.zoneLockAcquisitionsPerMillionPages * 0.9,
                          "steady \(steady.zoneLockAcquisitionsPerMillionPages) vs whole \(whole.zoneLockAcquisitionsPerMillionPages)")
        // The JSON carries it, and the table says so.
        let json = String(decoding: try JSONEncoder().encode(steady), as: UTF8.self)
        XCTAssertTrue(json.contains("\"warmup_seconds\""))
        XCTAssertFalse(String(decoding: try JSONEncoder().encode(whole), as: UTF8.self).contains("warmup_seconds"))
        let table = CompareTable.render(CompareResult(workload: "fault-loop", machine: "2 CPUs", seeds: [1], ops: steady.ops,
                                                      runs: [(policy: "baseline", runs: [steady])]))
        XCTAssertTrue(table.contains("metrics exclude the first 1 s warm-up"), table)
        let wholeTable = CompareTable.render(CompareResult(workload: "fault-loop", machine: "2 CPUs", seeds: [1], ops: whole.ops,
                                                           runs: [(policy: "baseline", runs: [whole])]))
        XCTAssertTrue(wholeTable.contains("metrics cover whole runs"), wholeTable)
    }

    /// A run shorter than two stat intervals has no steady part: its figures cover it whole.
    func testShortRunKeepsItsWholeFigures() throws {
        var s = scenario(exclude: true)
        s.duration = .seconds(1.5)
        let m = try XCTUnwrap(s.run().metrics)
        XCTAssertNil(m.warmupSeconds)
    }
}
