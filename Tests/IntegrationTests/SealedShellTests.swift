import Foundation
import XCTest

/// `pcpsim shell` on a 2-node, 8-CPU simulated machine: the memory tools SREs run read the
/// simulation's files, and nothing they write reaches the host.
final class SealedShellTests: XCTestCase {
    /// A still machine (`--age 0`): the tools' figures are compared with files read moments
    /// apart, and on a lived-in machine kswapd and kcompactd go on moving pages after boot.
    static let machine = ["--memory", "4G", "--cpus", "8", "--nodes", "2", "--workload", "none", "--age", "0"]

    override func setUpWithError() throws { try Harness.requireFuse() }

    func inShell(_ m: Mount, _ argv: [String], timeout: TimeInterval = 60) throws -> Harness.Result {
        try Harness.run([Harness.binary, "shell", m.dir, "--"] + argv, timeout: timeout)
    }

    /// "Key: value kB" lines of a meminfo-style text (the node files' "Node N " prefix dropped).
    func fields(_ text: String) -> [String: Int] {
        var out: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            let at = f.first == "Node" ? 2 : 0
            guard f.count > at + 1, let v = Int(f[at + 1]) else { continue }
            out[String(f[at].dropLast())] = v
        }
        return out
    }

    /// Twenty vm knobs written with sysctl(8) inside the shell change the simulation and leave
    /// the host's values as they were; host knobs outside /proc/sys/vm and sysfs are read-only.
    func testSysctlInsideTheShellNeverChangesTheHost() throws {
        let sysctl = try Harness.require("sysctl")
        let m = try Mount(SealedShellTests.machine)
        let writes: [(String, String)] = [
            ("swappiness", "33"), ("dirty_ratio", "31"), ("dirty_background_ratio", "7"), ("dirty_expire_centisecs", "2999"),
            ("dirty_writeback_centisecs", "499"), ("vfs_cache_pressure", "101"), ("min_free_kbytes", "45678"),
            ("watermark_scale_factor", "25"), ("watermark_boost_factor", "14999"), ("extfrag_threshold", "499"),
            ("compaction_proactiveness", "21"), ("zone_reclaim_mode", "1"), ("page-cluster", "2"), ("max_map_count", "65531"),
            ("overcommit_ratio", "51"), ("stat_interval", "2"), ("percpu_pagelist_high_fraction", "9"),
            ("min_slab_ratio", "6"), ("min_unmapped_ratio", "2"), ("admin_reserve_kbytes", "8191"),
        ]
        XCTAssertEqual(writes.count, 20)
        let host = { (name: String) in (try? String(contentsOfFile: "/proc/sys/vm/" + name, encoding: .utf8)) ?? "" }
        let before = writes.map { host($0.0) }
        let w = try inShell(m, [sysctl, "-w"] + writes.map { "vm.\($0.0)=\($0.1)" })
        XCTAssertEqual(w.status, 0, w.err)
        for (i, (name, value)) in writes.enumerated() {
            XCTAssertEqual(m.read("proc/sys/vm/" + name), value + "\n", "the simulation took vm.\(name)")
            XCTAssertEqual(host(name), before[i], "the host's vm.\(name) is unchanged")
        }
        // Everything else a tool might write is read-only inside.
        let hostTHP = try String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/defrag", encoding: .utf8)
        let other = try inShell(m, ["/bin/sh", "-c", "for f in /proc/sys/kernel/printk /proc/sys/net/core/somaxconn /sys/kernel/mm/ksm/run "
                                    + "/sys/block/*/queue/read_ahead_kb /proc/sysrq-trigger; do [ -e $f ] && ! echo 1 2>/dev/null > $f && echo ro; done; "
                                    + "echo never > /sys/kernel/mm/transparent_hugepage/defrag; true"])
        XCTAssertFalse(other.out.isEmpty)
        XCTAssertEqual(Set(other.out.split(separator: "\n")), ["ro"], "no write outside the simulation succeeds")
        XCTAssertEqual(try String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/defrag", encoding: .utf8), hostTHP)
        let list = try Harness.run([Harness.binary, "shell", m.dir, "--list"])
        XCTAssertTrue(list.out.contains("  /proc/sys/vm/ (52 files"), list.out)
        XCTAssertTrue(list.out.contains("masked read-only"), list.out)
    }

    /// numastat, free, vmstat, sar, psutil, node_exporter, atop, nmon and collectd inside the
    /// shell print the mounted files' values.
    func testMemoryToolsShowTheSimulatedMachine() throws {
        let m = try Mount(SealedShellTests.machine)
        sleep(2)  // one stat interval: the counters are folded and static
        let meminfo = fields(m.read("proc/meminfo"))
        let nodes = (0..<2).map { fields(m.read("sys/devices/system/node/node\($0)/meminfo")) }
        XCTAssertEqual(nodes[0]["MemTotal"]! + nodes[1]["MemTotal"]!, meminfo["MemTotal"]!)
        func mb(_ kb: Int) -> String { String(format: "%.2f", Double(kb) / 1024) }

        let numastat = try inShell(m, [try Harness.require("numastat"), "-m"])
        XCTAssertEqual(numastat.status, 0, numastat.err)
        let total = numastat.out.split(separator: "\n").first { $0.hasPrefix("MemTotal") }!.split(separator: " ").map(String.init)
        XCTAssertEqual(total, ["MemTotal", mb(nodes[0]["MemTotal"]!), mb(nodes[1]["MemTotal"]!), mb(meminfo["MemTotal"]!)])

        let free = try inShell(m, [try Harness.require("free"), "-k"])
        let mem = free.out.split(separator: "\n")[1].split(separator: " ").dropFirst().compactMap { Int($0) }
        XCTAssertEqual([mem[0], mem[2], mem[5]], [meminfo["MemTotal"]!, meminfo["MemFree"]!, meminfo["MemAvailable"]!], free.out)
        let vmstat = try inShell(m, [try Harness.require("vmstat"), "-s"])
        XCTAssertTrue(vmstat.out.contains("\(meminfo["MemFree"]!) K free memory"), vmstat.out)
        let getconf = try inShell(m, [try Harness.require("getconf"), "_NPROCESSORS_ONLN"])
        XCTAssertEqual(getconf.out, "8\n", "glibc counts /sys/devices/system/cpu/online")

        let sar = try inShell(m, [try Harness.require("sar"), "-B", "-r", "1", "1"])
        XCTAssertEqual(sar.status, 0, sar.err)
        let sarMem = sar.out.split(separator: "\n").last { $0.hasPrefix("Average:") && !$0.contains("kbmemfree") && !$0.contains("pgpgin") }!
        XCTAssertEqual(sarMem.split(separator: " ")[1], "\(meminfo["MemFree"]!)", sar.out)

        let psutil = try inShell(m, ["/usr/bin/python3", "-W", "error", "-c",
                                     "import psutil; v = psutil.virtual_memory(); print(v.total, v.free, v.available, psutil.cpu_count())"])
        XCTAssertEqual(psutil.status, 0, psutil.err)
        XCTAssertEqual(psutil.out, "\(meminfo["MemTotal"]! * 1024) \(meminfo["MemFree"]! * 1024) \(meminfo["MemAvailable"]! * 1024) 8\n")

        try checkNodeExporter(m, meminfo: meminfo, nodes: nodes)
        try checkAtopAndNmon(m, meminfo: meminfo)
        try checkCollectd(m, meminfo: meminfo)
    }

    func checkNodeExporter(_ m: Mount, meminfo: [String: Int], nodes: [[String: Int]]) throws {
        let exporter = try Harness.require("prometheus-node-exporter"), curl = try Harness.require("curl")
        let port = 21000 + Int(getpid() % 20000)
        let collectors = ["meminfo", "meminfo_numa", "buddyinfo", "zoneinfo", "vmstat", "pressure", "stat", "loadavg"]
        // Inside the shell with its default /proc and /sys; `timeout` ends it, shell and all.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Harness.binary)
        p.arguments = ["shell", m.dir, "--", "timeout", "8", exporter, "--collector.disable-defaults",
                       "--web.listen-address=127.0.0.1:\(port)"] + collectors.map { "--collector.\($0)" }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { p.waitUntilExit() }
        var metrics = ""
        for _ in 0..<100 {
            let r = try Harness.run([curl, "-s", "http://127.0.0.1:\(port)/metrics"])
            if r.status == 0 && r.out.contains("node_scrape_collector_success") { metrics = r.out; break }
            usleep(100_000)
        }
        let lines = metrics.split(separator: "\n").filter { !$0.hasPrefix("#") }
        func value(_ name: String) -> Double? { lines.first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last!) } }
        for c in collectors { XCTAssertEqual(value("node_scrape_collector_success{collector=\"\(c)\"}"), 1, "collector \(c)") }
        XCTAssertEqual(value("node_memory_Mapped_bytes"), 0, "a line meminfo lacked before")
        XCTAssertEqual(value("node_memory_MemFree_bytes"), Double(meminfo["MemFree"]! * 1024))
        for nid in 0..<2 {
            XCTAssertEqual(value("node_memory_numa_MemTotal{node=\"\(nid)\"}"), Double(nodes[nid]["MemTotal"]! * 1024), "node \(nid)")
        }
        XCTAssertEqual(value("node_pressure_memory_waiting_seconds_total"), 0)
        let btime = m.read("proc/stat").split(separator: "\n").first { $0.hasPrefix("btime ") }!.split(separator: " ")[1]
        XCTAssertEqual(value("node_boot_time_seconds"), Double(btime), "the mount's start")
    }

    func checkAtopAndNmon(_ m: Mount, meminfo: [String: Int]) throws {
        let atop = try Harness.require("atop"), nmon = try Harness.require("nmon")
        let scratch = NSTemporaryDirectory() + "pcpsim-tools-\(getpid())"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let w = try inShell(m, [atop, "-w", scratch + "/atop.raw", "1", "2"])
        XCTAssertEqual(w.status, 0, w.err)
        let parsed = try Harness.run([atop, "-r", scratch + "/atop.raw", "-P", "MEM,SWP,CPU"])
        let mem = parsed.out.split(separator: "\n").first { $0.hasPrefix("MEM ") }!.split(separator: " ")
        // MEM host epoch date time interval pagesize totalpages freepages cachepages ...
        XCTAssertEqual(Int(mem[7])! * 4, meminfo["MemTotal"]!)
        XCTAssertEqual(Int(mem[8])! * 4, meminfo["MemFree"]!)
        for line in parsed.out.split(separator: "\n") where !line.hasPrefix("RESET") && !line.hasPrefix("SEP") {
            XCTAssertFalse(line.split(separator: " ").dropFirst(5).contains { $0.hasPrefix("-") }, "atop: \(line)")
        }
        let n = try inShell(m, ["/bin/sh", "-c", "cd \(scratch) && \(nmon) -f -s 1 -c 2 -F out.nmon && sleep 3"])
        XCTAssertEqual(n.status, 0, n.err)
        let out = try String(contentsOfFile: scratch + "/out.nmon", encoding: .utf8)
        let memLine = out.split(separator: "\n").first { $0.hasPrefix("MEM,T0001") }!.split(separator: ",")
        // MEM,T,memtotal,hightotal,lowtotal,swaptotal,memfree,highfree,lowfree,swapfree,memshared,cached,active,bigfree,...
        XCTAssertEqual(String(memLine[2]), String(format: "%.1f", Double(meminfo["MemTotal"]!) / 1024))
        XCTAssertEqual(String(memLine[6]), String(format: "%.1f", Double(meminfo["MemFree"]!) / 1024))
        // hightotal, lowtotal, highfree, lowfree (-0.0) and bigfree (-1.0) are nmon's "absent on
        // x86-64", as on the real 6.18 kernel; every other value is >= 0.
        let absent: Set<Int> = [3, 4, 7, 8, 13]
        for (i, v) in memLine.enumerated().dropFirst(2) where !absent.contains(i) { XCTAssertFalse(v.hasPrefix("-"), "nmon MEM field \(i): \(v)") }
        let cpuAll = out.split(separator: "\n").first { $0.hasPrefix("CPU_ALL,T0001") }!.split(separator: ",")
        XCTAssertEqual(cpuAll.last, "8", "nmon counts the simulated CPUs")
    }

    func checkCollectd(_ m: Mount, meminfo: [String: Int]) throws {
        let collectd = try Harness.require("collectd")
        let scratch = NSTemporaryDirectory() + "pcpsim-collectd-\(getpid())"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try """
        Interval 1
        FQDNLookup false
        Hostname "sim"
        LoadPlugin memory
        LoadPlugin vmem
        LoadPlugin buddyinfo
        LoadPlugin csv
        <Plugin csv>
          DataDir "\(scratch)/csv"
          StoreRates false
        </Plugin>

        """.write(toFile: scratch + "/collectd.conf", atomically: false, encoding: .utf8)
        // Three reads a second apart; collectd flushes its CSV files as SIGTERM stops it.
        let r = try inShell(m, ["/bin/sh", "-c", "timeout 3.5 \(collectd) -f -C \(scratch)/collectd.conf; [ $? = 124 ]"])
        XCTAssertEqual(r.status, 0, r.err + r.out)
        func last(_ dir: String, _ prefix: String) throws -> Double? {
            let d = scratch + "/csv/sim/" + dir
            guard let f = try FileManager.default.contentsOfDirectory(atPath: d).first(where: { $0.hasPrefix(prefix) }) else { return nil }
            return try String(contentsOfFile: d + "/" + f, encoding: .utf8).split(separator: "\n").last
                .flatMap { Double($0.split(separator: ",")[1]) }
        }
        XCTAssertEqual(try last("memory", "memory-free-"), Double(meminfo["MemFree"]! * 1024))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: scratch + "/csv/sim/vmem").isEmpty)
        let dma = m.read("proc/buddyinfo").split(separator: "\n").first { $0.hasPrefix("Node 0, zone      DMA ") }!
        XCTAssertEqual(try last("buddyinfo-Node0_DMA", "freepages-4KB-"), Double(dma.split(separator: " ")[4])!)
    }
}
