import XCTest
@testable import PCPModel

/// The time series of a machine that runs for days stays bounded: past `Sampler.maxSamples`
/// points it keeps every other one and samples half as often, still spanning the whole run.
final class SamplingTests: XCTestCase {
    func testTheSeriesThinsItselfInsteadOfGrowing() throws {
        let m = try Machine(spec: .x86(memory: 64 << 20, cpus: 2))
        let s = Sampler(cpus: 2, start: .zero)
        let locks = LockPricer(machine: m, cost: CostModel())
        s.every = Picoseconds(1000)
        for k in 1...(3 * Sampler.maxSamples) {
            s.sample(m, operation: k * 256, at: Picoseconds(Int64(k) * 1000), locks: locks)
        }
        XCTAssertLessThanOrEqual(s.samples.count, Sampler.maxSamples)
        XCTAssertGreaterThan(s.samples.count, Sampler.maxSamples / 4)
        XCTAssertEqual(s.every.value, 4000, "thinned twice")
        // Which step each point came from: step k samples at k ns.
        let times = s.samples.map { Int(($0.simSeconds * 1e9).rounded()) }
        XCTAssertEqual(times.first, 1, "the first point is kept")
        XCTAssertEqual(times, times.sorted(), "in time order")
        XCTAssertGreaterThan(times.last!, 3 * Sampler.maxSamples - 8, "up to the last one")
    }
}
