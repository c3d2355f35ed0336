import Foundation
import XCTest

/// Real clients read and tune a real mount: cat, echo, sysctl and vmstat inside `pcpsim shell`,
/// and prometheus-node-exporter through --path.procfs.
final class ClientTests: XCTestCase {
    override func setUpWithError() throws { try Harness.requireFuse() }

    /// managed pages of each populated zone, from a zoneinfo text.
    func managed(_ zoneinfo: String) -> [String: Int] {
        var out: [String: Int] = [:], zone = ""
        for line in zoneinfo.split(separator: "\n") {
            if line.hasPrefix("Node ") { zone = String(line.split(separator: " ").last!) }
            let f = line.split(separator: " ")
            if f.first == "managed", let v = Int(f[1]), v > 0 { out[zone] = v }
        }
        return out
    }

    func testCatEchoAndErrnosThroughTheMount() throws {
        let m = try Mount(["--memory", "2G", "--cpus", "4", "--workload", "none"])
        let cat = try Harness.run(["/bin/cat", m.dir + "/proc/buddyinfo"])
        XCTAssertEqual(cat.status, 0)
        XCTAssertTrue(cat.out.hasPrefix("Node 0, zone      DMA "), cat.out)
        let knob = m.dir + "/proc/sys/vm/percpu_pagelist_high_fraction"
        XCTAssertEqual(try Harness.sh("echo 8 > \(knob)").status, 0)
        let zoneinfo = m.read("proc/zoneinfo")
        let highMins = zoneinfo.split(separator: "\n").filter { $0.contains("high_min:") }.map { Int($0.split(separator: " ").last!)! }
        let expected = managed(zoneinfo).values.sorted().map { $0 / 8 / 4 }
        XCTAssertEqual(Set(highMins), Set(expected.map { max($0, 4) }), "high_min = managed/8/CPUs in every zone")
        let bad = try Harness.sh("echo 5 > \(knob)")
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.err.contains("Invalid argument"), bad.err)
        XCTAssertEqual(m.read("proc/sys/vm/percpu_pagelist_high_fraction"), "8\n", "a refused write changes nothing")
        let denied = try Harness.run(["/bin/cat", m.dir + "/proc/sys/vm/compact_memory"])
        XCTAssertNotEqual(denied.status, 0)
        XCTAssertTrue(denied.err.contains("Permission denied"), denied.err)
        XCTAssertEqual(try Harness.sh("echo 1 > \(m.dir)/proc/buddyinfo").status == 0, false, "no write outside the knobs")
        XCTAssertEqual(m.read("sys/kernel/debug/pcpsim/invariants"), "ok\n")
    }

    func testSysctlAndVmstatInsidePcpsimShell() throws {
        let sysctl = try Harness.require("sysctl"), vmstat = try Harness.require("vmstat")
        let m = try Mount(["--memory", "2G", "--cpus", "4", "--workload", "none"])
        let w = try Harness.run([Harness.binary, "shell", m.dir, "--", sysctl, "-w", "vm.percpu_pagelist_high_fraction=16"])
        XCTAssertEqual(w.status, 0, w.err)
        XCTAssertEqual(m.read("proc/sys/vm/percpu_pagelist_high_fraction"), "16\n")
        let r = try Harness.run([Harness.binary, "shell", m.dir, "--", sysctl, "-n", "vm.percpu_pagelist_high_fraction"])
        XCTAssertEqual(r.out, "16\n")
        let bad = try Harness.run([Harness.binary, "shell", m.dir, "--", sysctl, "-w", "vm.percpu_pagelist_high_fraction=3"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.err.contains("Invalid argument"), bad.err)
        let inside = try Harness.run([Harness.binary, "shell", m.dir, "--", "/bin/cat", "/proc/buddyinfo"])
        XCTAssertEqual(inside.out, m.read("proc/buddyinfo"))
        XCTAssertNotEqual(try String(contentsOfFile: "/proc/buddyinfo", encoding: .utf8), inside.out, "the host's /proc is untouched")
        let s = try Harness.run([Harness.binary, "shell", m.dir, "--", vmstat, "-s"])
        XCTAssertEqual(s.status, 0, s.err)
        let memTotal = m.read("proc/meminfo").split(separator: "\n").first { $0.hasPrefix("MemTotal:") }!.split(separator: " ")[1]
        XCTAssertTrue(s.out.contains("\(memTotal) K total memory"), s.out)
    }

    func testNodeExporterCollectorsReadTheMount() throws {
        let exporter = try Harness.require("prometheus-node-exporter"), curl = try Harness.require("curl")
        let m = try Mount(["--memory", "2G", "--cpus", "4", "--workload", "none"])
        // Let one stat interval pass so the counters are folded and static.
        sleep(2)
        let port = 20000 + Int(getpid() % 20000)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exporter)
        p.arguments = ["--path.procfs=\(m.dir)/proc", "--collector.disable-defaults", "--collector.buddyinfo",
                       "--collector.zoneinfo", "--collector.vmstat", "--collector.vmstat.fields=.*",
                       "--web.listen-address=127.0.0.1:\(port)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { p.terminate(); p.waitUntilExit() }
        var metrics = ""
        for _ in 0..<100 {
            let r = try Harness.run([curl, "-s", "http://127.0.0.1:\(port)/metrics"])
            if r.status == 0 && r.out.contains("node_scrape_collector_success") { metrics = r.out; break }
            usleep(100_000)
        }
        let lines = metrics.split(separator: "\n").filter { !$0.hasPrefix("#") }
        func value(_ prefix: String) -> Double? {
            lines.first { $0.hasPrefix(prefix + " ") }.flatMap { Double($0.split(separator: " ").last!) }
        }
        for c in ["buddyinfo", "zoneinfo", "vmstat"] {
            XCTAssertEqual(value("node_scrape_collector_success{collector=\"\(c)\"}"), 1, "collector \(c)")
        }
        let normal = m.read("proc/buddyinfo").split(separator: "\n").first { $0.contains("Normal") || $0.contains("DMA32") }!
        let zone = String(normal.split(separator: " ")[3])
        let counts = normal.split(separator: " ").dropFirst(4).map { Double($0)! }
        for (order, n) in counts.enumerated() {
            XCTAssertEqual(value("node_buddyinfo_blocks{node=\"0\",size=\"\(order)\",zone=\"\(zone)\"}"), n, "order \(order)")
        }
        let vmstat = Dictionary(uniqueKeysWithValues: m.read("proc/vmstat").split(separator: "\n").map {
            let f = $0.split(separator: " "); return (String(f[0]), Double(f[1])!)
        })
        for key in ["nr_free_pages", "pgfree", "numa_hit", "nr_slab_unreclaimable"] {
            XCTAssertEqual(value("node_vmstat_\(key)"), vmstat[key], key)
        }
        let managed = managed(m.read("proc/zoneinfo"))
        XCTAssertEqual(value("node_zoneinfo_managed_pages{node=\"0\",zone=\"\(zone)\"}"), managed[zone].map(Double.init))
    }
}
