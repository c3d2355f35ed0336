import XCTest
@testable import PCPModel
import PCPRender

/// /proc/pressure/memory: psi.c's fixed-point averaging and psi_show()'s format.
final class PSITests: XCTestCase {
    /// One psi_period fully stalled on every CPU: avg10 = 100 (1 - EXP_10s/FIXED_1) and so on,
    /// rounded as calc_load rounds.
    func testOneFullPeriod() {
        var r = PSIResource(cpus: 2)
        r.accrue(ns: PSIResource.period)
        r.accrue(ns: PSIResource.period)
        r.advance(to: PSIResource.period)
        XCTAssertEqual(Pressure.render(r), """
            some avg10=18.11 avg60=3.27 avg300=0.68 total=2004000
            full avg10=18.11 avg60=3.27 avg300=0.68 total=2004000

            """)
    }

    /// A stall is capped at the period, sustained pressure converges to 100, and idle periods
    /// (missed by the worker) decay through calc_load_n as the same number of empty updates
    /// would, to within fixed_power_int's rounding (0.05 points).
    func testSaturationAndDecay() {
        var r = PSIResource(cpus: 1)
        var t: Int64 = 0
        for _ in 0..<200 {
            r.accrue(ns: PSIResource.period)
            t += PSIResource.period
            r.advance(to: t)
        }
        XCTAssertTrue(Pressure.render(r).hasPrefix("some avg10=100.00 avg60=99.87"), Pressure.render(r))
        var stepwise = r
        for k in 1...5 { stepwise.advance(to: t + Int64(k) * PSIResource.period) }
        r.advance(to: t + 5 * PSIResource.period)
        for w in 0..<3 { XCTAssertEqual(Double(r.avg[0][w]), Double(stepwise.avg[0][w]), accuracy: 100, "window \(w)") }
        XCTAssertLessThan(r.avg[0][0] >> PSIResource.fshift, 40, "five empty periods take avg10 from 100 to about 37")
    }

    /// A 10 % period after a nearly idle state, as the kernel printed it at 2.414 s of
    /// fixtures/lived-in-6.18/thp-defrag/always (total +216854 µs: some 0.04/0.05/0.07 became
    /// 1.85/0.38/0.14). The earlier fixed-point values are the largest that print as 0.04,
    /// 0.05 and 0.07. The sample is 10.8 % of the period, and the kernel's avg10 shows that
    /// calc_avgs truncated it to 10 % (10.8 would have printed 1.99).
    func testTheKernelsStepFromTheCapture() {
        var r = PSIResource(cpus: 1)
        r.avg = [[102, 122, 163], [0, 0, 0]]
        XCTAssertEqual(Pressure.render(r).split(separator: "\n")[0], "some avg10=0.04 avg60=0.05 avg300=0.07 total=0")
        r.accrue(ns: 216_854_000)
        r.advance(to: PSIResource.period)
        XCTAssertEqual(Pressure.render(r).split(separator: "\n")[0], "some avg10=1.85 avg60=0.38 avg300=0.14 total=216854")
    }

    func testCPUFullIsZeroAtTheSystemLevel() {
        var r = PSIResource(cpus: 1)
        r.accrue(ns: 5_000_000)
        XCTAssertEqual(Pressure.render(r, fullUndefined: true), """
            some avg10=0.00 avg60=0.00 avg300=0.00 total=5000
            full avg10=0.00 avg60=0.00 avg300=0.00 total=0

            """)
    }
}
