import XCTest
@testable import PCPModel

/// The engine's winner tree against the definition it stands for: the next CPU is the one
/// with the earliest clock, the lower id on a tie.
final class SchedulerTests: XCTestCase {
    /// The brute-force answer: the least (clock, CPU).
    private func expected(_ clocks: [Int64]) -> Int {
        clocks.indices.min { (clocks[$0], $0) < (clocks[$1], $1) }!
    }

    func testNextIsTheEarliestClockLowerIDOnTies() {
        // Counts around powers of two (padding leaves), one CPU, and 256.
        for cpus in [1, 2, 3, 5, 8, 63, 64, 65, 256] {
            var rng = SplitMix64(seed: UInt64(cpus))
            let s = Scheduler(cpus: cpus, start: Picoseconds(1_000))
            var clocks = [Int64](repeating: 1_000, count: cpus)
            XCTAssertEqual(s.next, 0, "all tied at start: CPU 0")
            for step in 0..<5_000 {
                // Mostly the next CPU moves ahead, as in a run; sometimes any CPU moves either
                // way (a trace replay's acting CPU, vmstat work); few distinct clocks, so ties
                // are common.
                let c = rng.below(4) == 0 ? rng.below(cpus) : s.next
                let t = Int64(1_000 + rng.below(40) * 250)
                if rng.below(200) == 0 {
                    s.catchUp(to: Picoseconds(t))
                    for k in clocks.indices where clocks[k] < t { clocks[k] = t }
                } else {
                    s.set(c, to: Picoseconds(t))
                    clocks[c] = t
                }
                XCTAssertEqual(s.next, expected(clocks), "\(cpus) CPUs, step \(step)")
                XCTAssertEqual(s.now.value, clocks[expected(clocks)])
                XCTAssertEqual(s.latest.value, clocks.max()!)
                XCTAssertEqual(s[c].value, clocks[c])
            }
        }
    }

    /// Keys pack a clock relative to the least one: clocks far ahead (past the horizon, up to
    /// near Int64.max), moves behind the base, and the 8,192-CPU tree, whose horizon is the
    /// shortest, still give the least (clock, CPU).
    func testFarApartClocksStillGiveTheEarliest() {
        for cpus in [1, 3, 256, 8192] {
            var rng = SplitMix64(seed: UInt64(cpus) &+ 99)
            let s = Scheduler(cpus: cpus, start: .zero)
            var clocks = [Int64](repeating: 0, count: cpus)
            for step in 0..<3_000 {
                let c = rng.below(3) == 0 ? rng.below(cpus) : s.next
                let t: Int64
                switch rng.below(8) {
                case 0: t = Int64(rng.below(1 << 62))                     // anywhere, mostly past any horizon
                case 1: t = max(0, clocks[c] - Int64(rng.below(1 << 52)))  // behind, maybe behind the base
                case 2: t = min(clocks[c], 1 << 61) + (1 << 50) + Int64(rng.below(1 << 51)) // past the 8,192-CPU horizon
                default: t = clocks[c] + Int64(rng.below(4)) * 1_000      // a step, often a tie
                }
                s.set(c, to: Picoseconds(t))
                clocks[c] = t
                let e = expected(clocks)
                XCTAssertEqual(s.next, e, "\(cpus) CPUs, step \(step)")
                XCTAssertEqual(s.now.value, clocks[e])
                if s.next != e { break }
            }
        }
    }

    /// Saved as a heap and restored, the clocks come back; a negative clock (a damaged state:
    /// the keys assume none) is refused.
    func testARestoreKeepsTheClocksAndRefusesANegativeOne() throws {
        let marker: Int64 = 0x1122_3344_5566_7788
        let s = Scheduler(cpus: 5, start: Picoseconds(marker))
        s.set(3, to: Picoseconds(marker + 7))
        s.set(0, to: Picoseconds(marker + 9))
        let saving = Checkpoint()
        try s.checkpoint(saving)
        let restored = Scheduler(cpus: 5, start: .zero)
        try restored.checkpoint(Checkpoint(restoring: saving.bytes))
        XCTAssertEqual((0..<5).map { restored[$0] }, (0..<5).map { s[$0] })
        XCTAssertEqual(restored.next, 1)

        // The root entry (the least clock, CPU 1's) is the marker's first occurrence.
        var bytes = saving.bytes
        let pattern = withUnsafeBytes(of: marker.littleEndian) { Array($0) }
        let at = try XCTUnwrap((0...(bytes.count - 8)).first { Array(bytes[$0..<($0 + 8)]) == pattern })
        withUnsafeBytes(of: Int64(-1).littleEndian) { bytes.replaceSubrange(at..<(at + 8), with: $0) }
        XCTAssertThrowsError(try Scheduler(cpus: 5, start: .zero).checkpoint(Checkpoint(restoring: bytes))) {
            XCTAssertTrue("\($0)".contains("not a heap"), "\($0)")
        }
    }
}
