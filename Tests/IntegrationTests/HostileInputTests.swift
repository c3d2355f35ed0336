import Foundation
import XCTest

/// Issue #13's hostile inputs, one test each: the 13 places that crashed (now one clear line,
/// exit 2), the inputs that were accepted but wrong (now applied in full, or refused), and the
/// errors that did not help.
final class HostileInputTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "pcpsim-hostile-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func fixture(_ name: String) throws -> String {
        try String(contentsOf: Harness.root.appendingPathComponent("fixtures/" + name), encoding: .utf8)
    }

    func temp(_ name: String, _ text: String) -> String {
        let p = dir + "/" + name
        try? Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// The text with the first line that starts with `prefix` (after spaces) replaced.
    func replacingFirst(_ text: String, lineStarting prefix: String, with line: String) -> String {
        var lines = text.components(separatedBy: "\n")
        let i = lines.firstIndex { $0.drop { $0 == " " }.hasPrefix(prefix) }!
        lines[i] = line
        return lines.joined(separator: "\n")
    }

    /// One line, `pcpsim: error: ...` mentioning `mentions`, exit status `status`, no crash.
    @discardableResult
    func expectError(_ args: [String], mentions: String, status: Int32 = 2, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try Harness.run([Harness.binary] + args, timeout: 60)
        XCTAssertEqual(r.status, status, "\(args.prefix(6)): \(r.err.prefix(500))", file: file, line: line)
        let lines = r.err.split(separator: "\n").filter { !$0.hasPrefix("pcpsim: note:") }
        XCTAssertEqual(lines.count, 1, "one line: \(r.err.prefix(500))", file: file, line: line)
        XCTAssertTrue(lines.first?.hasPrefix("pcpsim: error: ") == true, r.err, file: file, line: line)
        XCTAssertTrue(r.err.contains(mentions), "\(r.err.prefix(500)) should mention \(mentions)", file: file, line: line)
        return r.err
    }

    func run(_ args: [String]) throws -> Harness.Result { try Harness.run([Harness.binary] + args, timeout: 60) }

    var zoneinfo: String { Harness.root.appendingPathComponent("fixtures/zoneinfo.txt").path }
    let small = ["--memory", "256M", "--cpus", "2"]
    static let traceLine = "  bash-1 [000] ..... 1.000000: mm_page_alloc: page=0 pfn=0x1010 order=0 migratetype=1\n"

    // MARK: the 13 crash sites

    func testPagetypeinfoHighAtomicCountBeyondTheZone() throws {
        let pt = try fixture("pagetypeinfo.txt").replacingOccurrences(
            of: #"(Node +0, zone +Normal, type +HighAtomic) +0 "#, with: "$1 9223372036854775807 ", options: .regularExpression)
        XCTAssertTrue(pt.contains("9223372036854775807"))
        try expectError(["render", "proc/buddyinfo", "--like-zoneinfo", zoneinfo, "--like-pagetypeinfo", temp("pt", pt)], mentions: "counts must be between 0 and")
        let pt2 = try fixture("pagetypeinfo.txt").replacingOccurrences(
            of: #"(Node +0, zone +Normal, type +HighAtomic)( +0){10} +0 "#, with: "$1 0 0 0 0 0 0 0 0 0 0 4000000 ", options: .regularExpression)
        XCTAssertTrue(pt2.contains("4000000"))
        try expectError(["render", "proc/buddyinfo", "--like-zoneinfo", zoneinfo, "--like-pagetypeinfo", temp("pt2", pt2)], mentions: "do not fit in its")
    }

    func testPagetypeinfoNamingANodeTheZoneinfoLacks() throws {
        let pt = try fixture("pagetypeinfo.txt").replacingOccurrences(of: "Node    0, zone   Normal", with: "Node    3, zone   Normal")
        try expectError(["render", "proc/buddyinfo", "--like-zoneinfo", zoneinfo, "--like-pagetypeinfo", temp("pt", pt)], mentions: "node 3 is not in the machine")
    }

    func testZoneinfoStartPFNNearIntMax() throws {
        let zi = replacingFirst(try fixture("zoneinfo.txt"), lineStarting: "start_pfn:", with: "  start_pfn:           9223372036854775000")
        try expectError(["render", "proc/buddyinfo", "--like-zoneinfo", temp("zi", zi)], mentions: "beyond x86-64's 2^40 page frames")
    }

    func testZoneinfoNodeMinusOne() throws {
        let zi = replacingFirst(try fixture("zoneinfo.txt"), lineStarting: "Node 0,", with: "Node -1, zone      DMA")
        try expectError(["render", "proc/buddyinfo", "--like-zoneinfo", temp("zi", zi)], mentions: "line 1: expected 'Node N, zone NAME'")
    }

    func testZoneinfoPagesFreeIntMin() throws {
        let zi = replacingFirst(try fixture("zoneinfo.txt"), lineStarting: "pages free", with: "  pages free     -9223372036854775808")
        try expectError(["render", "proc/buddyinfo", "--like-zoneinfo", temp("zi", zi), "--pcp-state-from-zoneinfo"], mentions: "pages free -9223372036854775808 must be between 0")
    }

    func testTraceWithANegativeCPU() throws {
        let tr = temp("tr", Self.traceLine.replacingOccurrences(of: "[000]", with: "[-1]"))
        try expectError(["run", "--workload", "trace:" + tr] + small, mentions: "line 1: CPU -1 is not between 0 and 8191")
    }

    func testTraceWithAHugeTimestamp() throws {
        let tr = temp("tr", Self.traceLine + Self.traceLine.replacingOccurrences(of: " 1.000000:", with: " 99999999999999.000000:"))
        try expectError(["run", "--workload", "trace:" + tr] + small, mentions: "line 2: bad timestamp")
        let late = temp("tr2", Self.traceLine + Self.traceLine.replacingOccurrences(of: " 1.000000:", with: " 4000000000.000000:"))
        try expectError(["run", "--workload", "trace:" + late] + small, mentions: "line 2: timestamp more than 100 days after")
    }

    func testCostModelOfATrillionNanoseconds() throws {
        try expectError(["run", "--workload", "random", "--ops", "1000", "--cost-model", temp("cm", "zone_lock_ns = 1e12\n")] + small,
                        mentions: "line 1: '1e12' is not a number of nanoseconds from 0 to 1000000")
    }

    func testCardWithHugeOps() throws {
        let card = temp("c.card", "title: t\nops: 99999999999999999\nclaim: c\n  workload: random\n  expect: ops baseline > 0\n")
        try expectError(["analyze", card], mentions: "c.card:2: ops: '99999999999999999' is not a number from 1 to 10000000000")
    }

    func testVmstatPhaseBeyondADay() throws {
        try expectError(["render", "proc/buddyinfo", "--vmstat-phase-ms", "99999999999999"] + small, mentions: "--vmstat-phase-ms must be from 0 to")
    }

    func testTheLargestMachineIsRefusedBeforeAllocating() throws {
        let available = Self.hostAvailableBytes()
        guard available < 48 << 30 else { throw XCTSkip("this host could simulate 16 TiB") }
        try expectError(["render", "proc/buddyinfo", "--memory", "16T", "--cpus", "2"], mentions: "this machine needs about 48.1 GiB of memory to simulate")
    }

    func testAMachineFileOfTwoToThe32Pages() throws {
        let m = try run(["machine", "--memory", "256M", "--cpus", "2"])
        XCTAssertEqual(m.status, 0, m.err)
        // The Normal zone of node 0 spans 2^32 - 1 pages.
        var spec = try JSONSerialization.jsonObject(with: Data(m.out.utf8)) as! [String: Any]
        var nodes = spec["nodes"] as! [[String: Any]]
        var zones = nodes[0]["zones"] as! [[String: Any]]
        zones[2]["start_pfn"] = 1 << 20
        for k in ["spanned", "present", "managed"] { zones[2][k] = (1 << 32) - 1 }
        nodes[0]["zones"] = zones
        spec["nodes"] = nodes
        let file = dir + "/m.json"
        try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: file))
        if Self.hostAvailableBytes() < 48 << 30 {
            try expectError(["render", "proc/buddyinfo", "--machine", file], mentions: "needs about 48.1 GiB")
        }
    }

    static func hostAvailableBytes() -> Int {
        let text = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("MemAvailable:") } ?? "MemAvailable: 0 kB"
        return (Int(line.split(separator: " ")[1]) ?? 0) * 1024
    }

    // MARK: accepted but wrong

    func testCRLFSysctlFileAppliesEveryKnob() throws {
        let f = temp("s.conf", "vm.watermark_scale_factor = 100\r\nvm.percpu_pagelist_high_fraction = 8\r\n")
        let a = try run(["render", "proc/sys/vm/watermark_scale_factor", "--sysctl-file", f] + small)
        let b = try run(["render", "proc/sys/vm/percpu_pagelist_high_fraction", "--sysctl-file", f] + small)
        XCTAssertEqual(a.out, "100\n", a.err)
        XCTAssertEqual(b.out, "8\n", b.err)
    }

    func testCRLFCostModelStartingWithAComment() throws {
        let f = temp("cm", "# costs\r\nzone_lock_ns = 99\r\n")
        let r = try run(["run", "--workload", "random", "--ops", "100", "--cost-model", f, "--save-scenario", dir + "/s.json"] + small)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(try String(contentsOfFile: dir + "/s.json", encoding: .utf8).contains(#""zone_lock_ns" : 99"#))
    }

    func testCRLFTraceReplaysAsLF() throws {
        let lf = Harness.root.appendingPathComponent("fixtures/kmem-trace-excerpt.txt").path
        let crlf = temp("crlf.trace", try fixture("kmem-trace-excerpt.txt").replacingOccurrences(of: "\n", with: "\r\n"))
        let a = try run(["run", "--workload", "trace:" + lf, "--like-zoneinfo", zoneinfo, "--json", "-"])
        let b = try run(["run", "--workload", "trace:" + crlf, "--like-zoneinfo", zoneinfo, "--json", "-"])
        XCTAssertEqual(a.status, 0, a.err)
        XCTAssertTrue(a.out.contains(#""ops" : "#), a.out)
        let workload = { (s: String) in s.split(separator: "\n").filter { !$0.contains(#""workload" : "#) } }
        XCTAssertEqual(workload(a.out), workload(b.out))
    }

    func testZoneWithoutAManagedLine() throws {
        var lines = try fixture("zoneinfo.txt").components(separatedBy: "\n")
        lines.remove(at: lines.firstIndex { $0.hasPrefix("        managed") }!)
        try expectError(["render", "proc/buddyinfo", "--like-zoneinfo", temp("zi", lines.joined(separator: "\n"))], mentions: "has no 'managed' line")
    }

    func testNegativePagetypeinfoCounts() throws {
        let pt = try fixture("pagetypeinfo.txt").replacingOccurrences(
            of: #"(Node +0, zone +Normal, type +Movable) +\d+ "#, with: "$1 -5 ", options: .regularExpression)
        XCTAssertTrue(pt.contains(" -5 "))
        try expectError(["render", "proc/buddyinfo", "--like-zoneinfo", zoneinfo, "--like-pagetypeinfo", temp("pt", pt)], mentions: "counts must be between 0 and")
    }

    func testEmptyTrace() throws {
        try expectError(["run", "--workload", "trace:" + temp("tr", "")] + small, mentions: "no mm_page_alloc or mm_page_free event")
        try expectError(["run", "--workload", "trace:" + temp("tr2", "# tracer: nop\n#\n")] + small, mentions: "nothing to replay")
    }

    func testCardWithinNaNPercent() throws {
        let card = temp("c.card", "title: t\nclaim: c\n  workload: random\n  expect: ops a within NaN% of b\n")
        try expectError(["analyze", card], mentions: "c.card:4: expect: 'ops a within NaN% of b'")
    }

    func testOutputToAFullDevice() throws {
        try expectError(["run", "--workload", "random", "--ops", "1000", "--json", "/dev/full"] + small, mentions: "cannot write '/dev/full': No space left on device", status: 1)
        try expectError(["run", "--workload", "random", "--ops", "1000", "--trace-out", "/dev/full"] + small, mentions: "cannot write '/dev/full': No space left on device", status: 1)
        var st = stat()
        XCTAssertEqual(stat("/dev/full", &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFCHR, "/dev/full is still a device")
    }

    func testOutputFilesAreWholeOrAbsent() throws {
        try expectError(["run", "--workload", "random", "--ops", "1000", "--json", dir + "/no/such/dir.json"] + small, mentions: "No such file or directory", status: 1)
        let out = dir + "/m.json"
        let r = try run(["run", "--workload", "random", "--ops", "1000", "--json", out, "--trace-out", dir + "/t.trace"] + small)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))))
        XCTAssertTrue(try String(contentsOfFile: dir + "/t.trace", encoding: .utf8).hasPrefix("# tracer: nop"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["m.json", "t.trace"], "no temporary file left")
    }

    func testMountOnAnEmptyPath() throws {
        try expectError(["mount", ""], mentions: "the mount point is an empty path")
    }

    // MARK: errors that help

    func testCRLFZoneinfoIsRead() throws {
        let crlf = temp("zi", try fixture("zoneinfo.txt").replacingOccurrences(of: "\n", with: "\r\n"))
        let a = try run(["render", "proc/zoneinfo", "--like-zoneinfo", zoneinfo])
        let b = try run(["render", "proc/zoneinfo", "--like-zoneinfo", crlf])
        XCTAssertEqual(b.status, 0, String(b.err.prefix(300)))
        XCTAssertEqual(a.out, b.out)
    }

    func testAHugeLineIsQuotedShort() throws {
        let long = String(repeating: "x", count: 10 << 20)
        let err = try expectError(["render", "proc/buddyinfo", "--like-zoneinfo", temp("zi", "Node 0, zone " + long + "\n")], mentions: "line 1: expected 'Node N, zone NAME'")
        XCTAssertLessThan(err.utf8.count, 300, "quotes at most 80 characters")
        let err2 = try expectError(["run", "--workload", "trace:" + temp("tr", "[000] " + long + "\n")] + small, mentions: "line 1: expected 'TIMESTAMP: event:'")
        XCTAssertLessThan(err2.utf8.count, 300)
        let err3 = try expectError(["run", "--workload", "random", "--cost-model", temp("cm", long + "\n")] + small, mentions: "line 1: expected 'name = value'")
        XCTAssertLessThan(err3.utf8.count, 300)
    }

    func testAFIFOIsRead() throws {
        let fifo = dir + "/fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let writer = Thread { [text = "vm.watermark_scale_factor = 77\n"] in
            let fd = open(fifo, O_WRONLY)
            _ = text.withCString { write(fd, $0, strlen($0)) }
            close(fd)
        }
        writer.start()
        let r = try run(["render", "proc/sys/vm/watermark_scale_factor", "--sysctl-file", fifo] + small)
        XCTAssertEqual(r.out, "77\n", r.err)
    }

    func testNegativeNumbersReachTheirCheck() throws {
        try expectError(["render", "proc/buddyinfo", "--cpus", "-1", "--memory", "256M"], mentions: "(got -1 CPUs")
        try expectError(["render", "proc/buddyinfo", "--nodes", "-3"] + small, mentions: "--nodes must be between 1 and 64 (got -3)")
        try expectError(["render", "proc/buddyinfo", "--memory", "-5G"], mentions: "'-5G' is invalid for '--memory")
        try expectError(["render", "proc/buddyinfo", "--vmstat-phase-ms", "-1"] + small, mentions: "--vmstat-phase-ms must be from 0")
    }
}
