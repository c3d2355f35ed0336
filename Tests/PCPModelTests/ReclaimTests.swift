import XCTest
@testable import PCPModel

/// The LRU, the page cache and reclaim: promotion, drop_caches, kswapd and direct reclaim,
/// with the invariant checker watching every page and every LRU counter.
final class ReclaimTests: XCTestCase {
    func testSecondAccessActivatesAndDropCachesFreesCleanCache() throws {
        let m = try Machine(spec: .x86(memory: 96 << 20, cpus: 2))
        let f = m.createFile(pages: 1024)
        for o in 0..<1024 { _ = m.fileAccess(cpu: 0, file: f, offset: o) }
        XCTAssertEqual(m.fileCachedPages(f), 1024)
        XCTAssertEqual(m.lruPages(nid: 0, .inactiveFile), 1024)
        // folio_mark_accessed: the first hit sets PG_referenced, the second activates.
        XCTAssertEqual(m.fileAccess(cpu: 0, file: f, offset: 7), .hit)
        XCTAssertEqual(m.lruPages(nid: 0, .activeFile), 0)
        XCTAssertEqual(m.fileAccess(cpu: 0, file: f, offset: 7), .hit)
        XCTAssertEqual(m.lruPages(nid: 0, .activeFile), 1)
        XCTAssertEqual(m.events[VMEvent.pgactivate.rawValue], 1)
        // A dirty page survives drop_caches; the clean ones go.
        _ = m.fileAccess(cpu: 0, file: f, offset: 9, dirty: true)
        try InvariantChecker().check(m, after: "reads")
        try m.dropCaches(1)
        XCTAssertEqual(m.fileCachedPages(f), 1)
        XCTAssertEqual(m.lruPages(nid: 0, .inactiveFile) + m.lruPages(nid: 0, .activeFile), 1)
        try InvariantChecker().check(m, after: "drop_caches")
        XCTAssertThrowsError(try m.dropCaches(0))
    }

    func testIsolateAndPutbackKeepTheCounters() throws {
        let m = try Machine(spec: .x86(memory: 96 << 20, cpus: 2))
        let f = m.createFile(pages: 512)
        guard case let .miss(order, pfn) = m.fileAccess(cpu: 0, file: f, offset: 0, order: 9) else { return XCTFail("no folio") }
        XCTAssertEqual(order, 9)
        XCTAssertTrue(m.isLRUFolio(pfn: pfn))
        XCTAssertTrue(m.folioIsolateLRU(cpu: 0, pfn: pfn))
        XCTAssertFalse(m.folioIsolateLRU(cpu: 0, pfn: pfn))
        XCTAssertEqual(m.lruPages(nid: 0, .inactiveFile), 0)
        try InvariantChecker().check(m, after: "isolate")
        m.folioPutbackLRU(cpu: 0, pfn: pfn)
        XCTAssertEqual(m.lruPages(nid: 0, .inactiveFile), 512)
        try InvariantChecker().check(m, after: "putback")
    }

    /// A stream twice the size of memory: kswapd reclaims the oldest folios, every page and LRU
    /// counter stays consistent, and the cache never holds more than memory.
    func testStreamingReclaimKeepsTheInvariants() throws {
        let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2))
        var w = try Workloads.make("stream", machine: m, params: ["file_mb": "512"])
        let e = Engine(machine: m, seed: 1, checkEvery: 5000)
        try e.run(&w, ops: 200_000)
        try e.check(after: "the stream")
        XCTAssertGreaterThan(m.events[VMEvent.pgstealKswapd.rawValue], 0)
        XCTAssertEqual(m.events[VMEvent.pgstealKswapd.rawValue], m.events[VMEvent.pgscanKswapd.rawValue])
        XCTAssertGreaterThan(m.events[VMEvent.pageoutrun.rawValue], 0)
        XCTAssertEqual(e.totals.failedAllocs, 0)
    }
}
