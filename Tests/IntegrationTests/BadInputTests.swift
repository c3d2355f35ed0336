import Foundation
import XCTest

/// Bad input of every kind: one line on stderr that names the problem, exit status 2.
final class BadInputTests: XCTestCase {
    func expectUsageError(_ args: [String], mentions: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try Harness.run([Harness.binary] + args)
        XCTAssertEqual(r.status, 2, "\(args): \(r.err)", file: file, line: line)
        let lines = r.err.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one line: \(r.err)", file: file, line: line)
        XCTAssertTrue(r.err.hasPrefix("pcpsim: error: "), r.err, file: file, line: line)
        XCTAssertTrue(r.err.contains(mentions), "\(r.err) should mention \(mentions)", file: file, line: line)
        XCTAssertFalse(r.err.contains("Fatal error") || r.err.contains("Stack dump"), file: file, line: line)
    }

    func temp(_ name: String, _ text: String) -> String {
        let p = NSTemporaryDirectory() + "pcpsim-bad-\(getpid())-\(name)"
        FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }

    func testEveryKindOfBadInput() throws {
        let small = ["--memory", "256M", "--cpus", "2"]
        try expectUsageError(["render", "proc/buddyinfo", "--sysctl", "vm.nope=1"] + small, mentions: "unknown knob 'vm.nope'")
        try expectUsageError(["render", "proc/buddyinfo", "--sysctl", "vm.watermark_scale_factor=0"] + small, mentions: "Invalid argument")
        try expectUsageError(["render", "proc/buddyinfo", "--sysctl", "vm.percpu_pagelist_high_fraction=5"] + small, mentions: "Invalid argument")
        try expectUsageError(["render", "proc/buddyinfo", "--like-zoneinfo", temp("zi", "Node 0, zone Bogus\n")], mentions: "expected 'Node N, zone NAME'")
        try expectUsageError(["render", "proc/buddyinfo", "--memory", "1M"], mentions: "--memory must be at least")
        try expectUsageError(["render", "proc/buddyinfo", "--memory", "lots"], mentions: "'lots' is invalid for '--memory")
        try expectUsageError(["render", "proc/buddyinfo", "--cpus", "1", "--nodes", "4"], mentions: "--cpus must be at least --nodes")
        try expectUsageError(["render", "proc/nope"] + small, mentions: "no file 'proc/nope'")
        try expectUsageError(["run", "--workload", "nope"] + small, mentions: "'nope' is invalid for '--workload")
        try expectUsageError(["run", "--workload", "thp", "--param", "thps=x"] + small, mentions: "thps=x")
        try expectUsageError(["run", "--workload", "thp", "--param", "bogus=1"] + small, mentions: "unknown parameter 'bogus'")
        try expectUsageError(["run", "--workload", "random", "--policy", "slab"] + small, mentions: "'slab' is invalid for '--policy")
        try expectUsageError(["run", "--workload", "random", "--cost-model", temp("cm", "zone_lock_ns = fast\n")] + small, mentions: "line 1")
        try expectUsageError(["run", "--workload", "random", "--cost-model", temp("cm2", "warp_ns = 1\n")] + small, mentions: "unknown cost 'warp_ns'")
        let trace = temp("tr", "# tracer: nop\n  bash-1 [000] ..... 1.000000: mm_page_alloc: page=0 pfn=0x10 order=0 migratetype=1\n  garbage line\n")
        try expectUsageError(["run", "--workload", "trace:" + trace] + small, mentions: "line 3")
        try expectUsageError(["compare", "--workload", "random", "--policies", "baseline,nope"] + small, mentions: "'baseline,nope' is invalid for '--policies")
        let card = temp("card.card", "title: t\nclaim: c\n  workload: random\n  expect: no.such.metric baseline > 0\n")
        try expectUsageError(["analyze", card], mentions: "unknown metric 'no.such.metric'")
        try expectUsageError(["patch", "inspect", temp("notpatch", "hello\n")], mentions: ":1: not a patch")
        try expectUsageError(["mount", "/tmp/x", "--pace", "0"], mentions: "--pace")
        try expectUsageError(["bench", "nope"], mentions: "'nope' is invalid for '<name>'")
        try expectUsageError(["run", "--workload", "random", "--phase2-chunk", "middle"] + small, mentions: "Please provide one of 'largest' and 'smallest'")
        try expectUsageError(["run", "--workload", "random", "--pcp-state-list", "movable"] + small, mentions: "--pcp-state-list needs --pcp-state-from-zoneinfo")
        try expectUsageError(["render", "proc/buddyinfo", "--sysctl", "sys.kernel.mm.pcpsim.pace=2"] + small, mentions: "a file of a running mount")
        try expectUsageError(["run", "--scenario", temp("sc.json", #"{"workload": "random", "sed": 2}"#)], mentions: "sed: unknown key")
        try expectUsageError(["run", "--scenario", "/nonexistent.json"], mentions: "cannot read '/nonexistent.json'")
    }

    /// Every card at small scale, from seeds 1–5 and from seeds 6–10: the same verdict for every
    /// claim (a verdict a seed set could flip would be INCONCLUSIVE in both).
    func testAnalyzeGivesTheSameVerdictsFromTwoSeedSets() throws {
        let patches = Harness.root.appendingPathComponent("patches").path
        func verdicts(_ seed: String) throws -> [Substring] {
            let r = try Harness.run([Harness.binary, "analyze", patches, "--small", "--seed", seed], timeout: 600)
            XCTAssertEqual(r.status, 0, r.err)
            XCTAssertTrue(r.out.contains(" confirmed, "), r.out)
            XCTAssertTrue(r.out.contains("(5 seeds, 95% interval)"), r.out)
            return r.out.split(separator: "\n").filter { $0.hasPrefix("CONFIRMED") || $0.hasPrefix("REFUTED") || $0.hasPrefix("INCONCLUSIVE") }
        }
        let first = try verdicts("1"), second = try verdicts("6")
        XCTAssertGreaterThanOrEqual(first.count, 15)
        XCTAssertEqual(first, second)
        XCTAssertTrue(first.contains { $0.hasPrefix("CONFIRMED") } && first.contains { $0.hasPrefix("REFUTED") })
    }
}
