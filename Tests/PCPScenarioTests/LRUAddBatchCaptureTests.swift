import Foundation
import PCPScenario
import XCTest

/// What 6.18 does with a faulted folio before its free (fixtures/lru-add-6.18): the README's
/// *What is modelled* says the model does neither, and this keeps that sentence true to the
/// kernel. Pins the capture, not the model.
final class LRUAddBatchCaptureTests: XCTestCase {
    /// `anon`: an allocation for a user fault (GFP_HIGHUSER_MOVABLE).
    struct Event { let task: String, name: String, pfn: String, anon: Bool }

    func events() throws -> [Event] {
        let text = try TraceFile.read(Support.root + "/fixtures/lru-add-6.18/trace.gz")
        return text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#") else { return nil }
            let f = line.split(separator: " ")
            guard f.count > 5, let pfn = f.first(where: { $0.hasPrefix("pfn=") }) else { return nil }
            return Event(task: String(f[0].split(separator: "-").first ?? ""), name: String(f[4].dropLast()), pfn: String(pfn),
                         anon: line.contains("GFP_HIGHUSER_MOVABLE"))
        }
    }

    /// A faulted folio reaches the LRU only when its CPU's lru_add batch moves: the 1,000 faults'
    /// insertions come in runs of exactly 31 (PAGEVEC_SIZE), each after the allocations it holds.
    func testFaultedFoliosReachTheLRUInBatchesOf31() throws {
        let ev = try events().filter { $0.task == "lrufault" }
        var runs: [Int] = [], run = 0
        for e in ev {
            if e.name == "mm_lru_insertion" { run += 1 } else if run > 0 { runs.append(run); run = 0 }
        }
        if run > 0 { runs.append(run) }
        XCTAssertEqual(runs.count, 33)
        XCTAssertEqual(Set(runs), [31])
    }

    /// The unmap does not drain the batch: the 11 faulted folios still in it when the range is
    /// unmapped are not freed by the unmap, but when the CPU's batch next moves, here in the next
    /// task's context on that CPU (their insertion, then their free).
    func testAnUnmapLeavesTheBatchsFoliosToItsNextMove() throws {
        let ev = try events()
        let mine = ev.filter { $0.task == "lrufault" }
        guard let lastInsert = mine.lastIndex(where: { $0.name == "mm_lru_insertion" }) else { return XCTFail("no insertion") }
        let pending = mine[(lastInsert + 1)...].filter { $0.name == "mm_page_alloc" && $0.anon }.map(\.pfn)
        XCTAssertEqual(pending.count, 11)
        let freedByIt = Set(mine.filter { $0.name == "mm_page_free" }.map(\.pfn))
        XCTAssertTrue(freedByIt.isDisjoint(with: pending), "the unmap freed a folio its batch still held")
        for pfn in pending {
            let later = ev.filter { $0.pfn == pfn && $0.task != "lrufault" }.map(\.name)
            XCTAssertEqual(Array(later.prefix(2)), ["mm_lru_insertion", "mm_page_free"], pfn)
        }
    }
}
