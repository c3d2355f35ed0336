import XCTest
@testable import PCPModel

/// A lived-in state that names a file it does not have, reads past a file's end or owes the
/// shrinker more than memory holds is refused on restore, not trapped on in the next step.
final class LivedInRestoreTests: XCTestCase {
    func testDamagedReadingStateIsRefused() throws {
        let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2))
        let fresh = LivedIn(m, seed: 1)
        let damage: [(String, (inout LivedIn) -> Void)] = [
            ("a file it lacks", { $0.reading[0] = $0.files.count }),
            ("past a file's end", { $0.reading[1] = 0; $0.cursor[1] = $0.files[0].pages }),
            ("a negative offset", { $0.cursor[0] = -1 }),
            ("a shrinker debt beyond memory", { $0.shrinkDebt = Int.max / 4 }),
            ("a shrinker credit beyond memory", { $0.shrinkDebt = Int.min / 4 }),
            ("scans not yet made", { $0.scannedSeen = 1 }),
            ("a CPU too many", { $0.owed.append(false) }),
        ]
        for (what, change) in damage + [("nothing", { _ in })] {
            var w = fresh
            change(&w)
            let saving = Checkpoint()
            try w.checkpoint(saving)
            var back = fresh
            let restoring = Checkpoint(restoring: saving.bytes)
            restoring.restoredMachine = m
            if what == "nothing" {
                XCTAssertNoThrow(try back.checkpoint(restoring), "an undamaged state")
            } else {
                XCTAssertThrowsError(try back.checkpoint(restoring), what)
            }
        }
    }
}
