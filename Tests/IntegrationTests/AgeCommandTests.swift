import Foundation
import XCTest

/// `--age` on the command line and the mount's lived-in default (issue #9 item 6).
final class AgeCommandTests: XCTestCase {
    func vmstat(_ text: String) -> [String: Int] {
        var out: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let w = line.split(separator: " ")
            if w.count == 2, let v = Int(w[1]) { out[String(w[0])] = v }
        }
        return out
    }

    /// The mount's default machine has uptime: reclaim has run and the page cache holds most of
    /// memory; `--age 0` mounts a freshly booted one.
    func testTheMountStartsLivedIn() throws {
        try Harness.requireFuse()
        let aged = try Mount(["--memory", "512M", "--cpus", "2", "--workload", "none"])
        let v = vmstat(aged.read("proc/vmstat"))
        aged.stop()
        XCTAssertGreaterThan(v["pgscan_kswapd"] ?? 0, 0)
        XCTAssertGreaterThan((v["nr_inactive_file"] ?? 0) + (v["nr_active_file"] ?? 0), 512 * 256 / 3)
        let fresh = try Mount(["--memory", "512M", "--cpus", "2", "--workload", "none", "--age", "0"])
        let f = vmstat(fresh.read("proc/vmstat"))
        fresh.stop()
        XCTAssertEqual(f["pgscan_kswapd"], 0)
        XCTAssertEqual(f["nr_inactive_file"], 0)
    }

    /// `run --age`: the same seed gives the same bytes, and a bad age is one line naming the option.
    func testAgeOnTheCommandLine() throws {
        let args = [Harness.binary, "run", "--workload", "random", "--memory", "512M", "--cpus", "2", "--ops", "5000", "--age", "1m", "--json", "-"]
        let a = try Harness.run(args), b = try Harness.run(args)
        XCTAssertEqual(a.status, 0, a.err)
        XCTAssertEqual(a.out, b.out)
        let fresh = try Harness.run(Array(args.dropLast(4)) + ["--json", "-"])
        XCTAssertNotEqual(fresh.out, a.out)
        let bad = try Harness.run([Harness.binary, "render", "proc/buddyinfo", "--memory", "256M", "--age", "soon"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.err.hasPrefix("pcpsim: error: --age 'soon'"), bad.err)
        XCTAssertEqual(bad.err.split(separator: "\n").count, 1)
        let root = Harness.root.path
        let trace = try Harness.run([Harness.binary, "render", "proc/buddyinfo", "--like-zoneinfo", root + "/fixtures/zoneinfo.txt",
                                     "--workload", "trace:" + root + "/fixtures/kmem-trace-excerpt.txt", "--age", "10s"])
        XCTAssertEqual(trace.status, 2)
        XCTAssertTrue(trace.err.hasPrefix("pcpsim: error: --age does not go with a trace replay"), trace.err)
    }
}
