import XCTest
import PCPModel
import PCPRender
import PCPScenario

/// `age` in scenarios and imported machines' LRU (issue #9 item 6), through the scenario layer
/// every command boots with.
final class AgeScenarioTests: XCTestCase {
    /// Every counter of `keys` per node and per zone block of a zoneinfo, in file order.
    func counters(_ zoneinfo: String, _ keys: [String]) -> [String] {
        zoneinfo.split(separator: "\n").compactMap { line in
            let w = line.split(separator: " ")
            return w.count == 2 && keys.contains(String(w[0])) ? "\(w[0]) \(w[1])" : nil
        }
    }

    /// The machine imported from the stream capture's "before" state (zoneinfo + pagetypeinfo)
    /// holds exactly the capture's LRU: each zone's nr_zone_* lists, the node's lists,
    /// nr_anon_pages, nr_dirty, nr_mapped and nr_shmem; nr_file_pages is one page short (a page
    /// the capture counts outside the LRU and shmem, which the import cannot place). The folios
    /// are real: the checker finds the counters equal to the lists, and drop_caches frees the
    /// clean, unmapped file pages.
    func testImportedMachineTakesItsLRUFromZoneinfo() throws {
        let before = Support.root + "/fixtures/lived-in-6.18/stream/before"
        var s = Scenario()
        s.machine = .imported(ImportedMachine(zoneinfo: before + "/zoneinfo", pagetypeinfo: before + "/pagetypeinfo"))
        let m = try s.boot(note: { _ in })
        let captured = try String(contentsOfFile: before + "/zoneinfo", encoding: .utf8)
        let rendered = Zoneinfo.render(m.snapshot())
        let exact = ["nr_zone_inactive_anon", "nr_zone_active_anon", "nr_zone_inactive_file", "nr_zone_active_file", "nr_zone_unevictable",
                     "nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file", "nr_unevictable",
                     "nr_anon_pages", "nr_dirty", "nr_mapped", "nr_shmem"]
        XCTAssertEqual(counters(rendered, exact), counters(captured, exact))
        XCTAssertEqual(counters(rendered, ["nr_file_pages"]), ["nr_file_pages 221657"])
        XCTAssertEqual(counters(captured, ["nr_file_pages"]), ["nr_file_pages 221658"])
        let meminfo = Meminfo.render(m.snapshot())
        for line in ["Inactive(file):   486836 kB", "Active(file):     390436 kB", "Unevictable:       13448 kB", "Dirty:             31860 kB",
                     "Shmem:              9356 kB", "AnonPages:         14212 kB"] {
            XCTAssertTrue(meminfo.contains(line), "meminfo lacks '\(line)'")
        }
        try InvariantChecker().check(m, after: "the import")
        try m.dropCaches(1)
        let left = m.lruPages(nid: 0, .inactiveFile) + m.lruPages(nid: 0, .activeFile)
        XCTAssertGreaterThan(left, 0)
        XCTAssertLessThanOrEqual(left, 7965 + 2786, "only dirty or mapped file pages stay")
        try InvariantChecker().check(m, after: "drop_caches")
    }

    /// `age` round-trips through a scenario file (seconds, or text with a unit), a bad one is
    /// refused, and the aged machine is the same for the same seed.
    func testAgeInScenarioFiles() throws {
        let dir = Support.tempDir("age")
        var s = Support.small("random", policy: .baseline)
        s.age = 60
        try ScenarioFile.save(s, to: dir + "/s.json")
        XCTAssertEqual(try ScenarioFile.load(dir + "/s.json").age, 60)
        try #"{"age": "2m", "workload": "none"}"#.write(toFile: dir + "/t.json", atomically: false, encoding: .utf8)
        XCTAssertEqual(try ScenarioFile.load(dir + "/t.json").age, 120)
        try #"{"age": "forever"}"#.write(toFile: dir + "/u.json", atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try ScenarioFile.load(dir + "/u.json"))
        XCTAssertEqual(Scenario.parseAge("1.5h"), 5400)
        XCTAssertNil(Scenario.parseAge("-1s"))
        XCTAssertNil(Scenario.parseAge("2d"))
        let a = try s.run(), b = try ScenarioFile.load(dir + "/s.json").run()
        XCTAssertEqual(Zoneinfo.render(a.snapshot()), Zoneinfo.render(b.snapshot()))
        XCTAssertGreaterThan(a.machine.events[VMEvent.pgscanKswapd.rawValue], 0, "an aged 512 MiB machine has reclaimed")
    }
}
