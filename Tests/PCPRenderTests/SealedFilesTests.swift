import XCTest
@testable import PCPModel
@testable import PCPRender

/// The files issue #12 added, next to real 6.18 captures of this kernel (fixtures/meminfo.txt,
/// node0-meminfo.txt and node0-vmstat.txt: `cat` of the reference host's files).
final class SealedFilesTests: XCTestCase {
    func render(_ path: String, _ m: Machine) -> String {
        ProcFiles.all(for: m).first { $0.path == path }!.render(m.snapshot())
    }

    /// Labels of "Label: value" lines, with "Node N " dropped.
    func labels(_ text: String) -> [String] {
        text.split(separator: "\n").map { line in
            let f = line.split(separator: " ")
            return String(f[f.first == "Node" ? 2 : 0])
        }
    }

    func testMeminfoHasEveryLineOf618InOrder() throws {
        let m = try Fixture.machine()
        let text = render("proc/meminfo", m)
        let real = Fixture.text("meminfo.txt")
        XCTAssertEqual(labels(text), labels(real))
        XCTAssertEqual(labels(text).count, 54)
        // Values are right-aligned in the same columns (where they fit the field's width).
        let digits = { (l: Substring) in l.split(separator: " ").compactMap { Int($0) }.first.map { String($0).count } ?? 0 }
        for (ours, theirs) in zip(text.split(separator: "\n"), real.split(separator: "\n")) where digits(ours) <= 5 && digits(theirs) <= 5 {
            XCTAssertEqual(ours.count, theirs.count, "\(ours) | \(theirs)")
        }
        let v = Dictionary(uniqueKeysWithValues: text.split(separator: "\n").map { l in
            (String(l.split(separator: ":")[0]), Int(l.split(separator: " ")[1])!)
        })
        XCTAssertEqual(v["CommitLimit"], v["MemTotal"]! / 4 * 50 / 100 * 4, "overcommit_ratio 50 of the pages, no swap")
        XCTAssertEqual(v["Hugepagesize"], 2048)
        XCTAssertEqual(v["Mapped"], 0)
    }

    func testNodeFilesHaveTheKernelsLines() throws {
        let m = try Machine(spec: .x86(memory: 4 << 30, cpus: 8, nodes: 2))
        let node1 = render("sys/devices/system/node/node1/meminfo", m)
        XCTAssertEqual(labels(node1), labels(Fixture.text("node0-meminfo.txt")))
        XCTAssertTrue(node1.hasPrefix("Node 1 MemTotal:       "), node1)
        XCTAssertEqual(labels(render("sys/devices/system/node/node0/vmstat", m)), labels(Fixture.text("node0-vmstat.txt")))
        let total = { (t: String) in Int(t.split(separator: "\n")[0].split(separator: " ").dropFirst(3).first!)! }
        XCTAssertEqual(total(render("sys/devices/system/node/node0/meminfo", m)) + total(node1),
                       Int(render("proc/meminfo", m).split(separator: "\n")[0].split(separator: " ")[1])!)
        XCTAssertEqual(render("sys/devices/system/node/online", m), "0-1\n")
        XCTAssertEqual(render("sys/devices/system/node/node1/cpulist", m), "4-7\n")
        XCTAssertEqual(render("sys/devices/system/node/node1/cpumap", m), "f0\n")
        XCTAssertEqual(render("sys/devices/system/node/node0/distance", m), "10 20\n")
        XCTAssertEqual(render("sys/devices/system/cpu/online", m), "0-7\n")
        XCTAssertEqual(render("sys/devices/system/node/node0/numastat", m).split(separator: "\n").map { String($0.split(separator: " ")[0]) },
                       ["numa_hit", "numa_miss", "numa_foreign", "interleave_hit", "local_node", "other_node"])
    }

    /// The dirty knobs move vmstat's thresholds as domain_dirty_limits() computes them.
    func testDirtyKnobsSetVmstatThresholds() throws {
        let m = try Fixture.machine()
        func thresholds() -> [Int] {
            render("proc/vmstat", m).split(separator: "\n").filter { $0.hasPrefix("nr_dirty_") && $0.contains("threshold") }
                .map { Int($0.split(separator: " ")[1])! }
        }
        let ratio20 = thresholds()
        XCTAssertEqual(Double(ratio20[1]) / Double(ratio20[0]), 409.0 / 819.0, accuracy: 1e-4, "10% and 20% in per-page units")
        try Fixture.write(m, "proc/sys/vm/dirty_bytes", "409600")
        XCTAssertEqual(thresholds()[0], 100)
        XCTAssertEqual(thresholds()[1], 50, "a background threshold above it becomes half")
        try Fixture.write(m, "proc/sys/vm/dirty_ratio", "20")
        XCTAssertEqual(thresholds(), ratio20, "writing the ratio zeroes dirty_bytes")
        XCTAssertEqual(KnobTable.byPath["proc/sys/vm/dirty_bytes"]!.read(KnobView(snapshot: m.snapshot())), "0\n")
    }

    func testCPUMasksAndLists() {
        XCTAssertEqual(NodeSysfs.cpumap(Array(0..<40), of: 40), "ff,ffffffff\n")
        XCTAssertEqual(NodeSysfs.cpumap([33], of: 64), "00000002,00000000\n")
        XCTAssertEqual(NodeSysfs.list([0, 1, 2, 5, 7, 8]), "0-2,5,7-8\n")
    }

    /// /proc/stat's times add up to the engine's clocks: per CPU, user + system + idle is the
    /// elapsed time, user is the workload's operations, system the allocator's paths and locks.
    func testStatFollowsTheEngineClocks() throws {
        let m = try Machine(spec: .x86(memory: 1 << 30, cpus: 4))
        let engine = Engine(machine: m, seed: 1)
        var w = try Workloads.make("random", machine: m)
        try engine.run(&w, ops: 200_000)
        var s = m.snapshot()
        s.cpu = engine.cpuTimes
        let t = try XCTUnwrap(s.cpu)
        XCTAssertGreaterThan(t.elapsedNs, 0)
        for c in 0..<4 {
            XCTAssertGreaterThan(t.systemNs[c], 0)
            XCTAssertLessThanOrEqual(t.userNs[c] + t.systemNs[c], t.elapsedNs + 1_000_000, "cpu \(c) is busy at most the elapsed time")
        }
        let ops = engine.totals.allocs + engine.totals.frees
        XCTAssertEqual(t.userNs.reduce(0, +), Int64(ops) * 1200, accuracy: Int64(ops), "1.2 µs of workload per operation")
        let stat = Stat.render(s).split(separator: "\n")
        XCTAssertEqual(stat.count, 1 + 4 + 7)
        let cpu = stat[0].split(separator: " ").map { Int64($0) ?? 0 }
        XCTAssertEqual(cpu[3], t.systemNs.reduce(0, +) / 10_000_000, accuracy: 4)
        XCTAssertTrue(Stat.loadavg(s).hasSuffix(" 1/1 0\n"))
        XCTAssertEqual(Pressure.unmodelled(s).split(separator: "\n").map { String($0.prefix(5)) }, ["some ", "full "])
    }

    /// Where a streaming reader's time goes, against the kernel's (fixtures/lived-in-6.18/
    /// stream-stat: dd of 8 GiB, cold): the reader's CPU in system time, the read path's; the
    /// CPU without a task idle; neither in iowait, since the disk hardly makes the reader wait.
    func testStreamCPUTimesAsTheCapture() throws {
        func cpuLines(_ name: String) -> [[Int64]] {
            Fixture.text("lived-in-6.18/stream-stat/\(name)").split(separator: "\n").filter { $0.hasPrefix("cpu0 ") || $0.hasPrefix("cpu1 ") }
                .map { $0.split(separator: " ").dropFirst().map { Int64($0)! } }
        }
        let before = cpuLines("before.txt"), after = cpuLines("after.txt")
        /// user, system, idle, iowait shares of one CPU's ticks.
        func shares(_ t: [Int64]) -> [Double] {
            let total = Double(t.reduce(0, +))
            return [t[0], t[2], t[3], t[4]].map { Double($0) / total }
        }
        let kernelReader = shares(zip(before[1], after[1]).map { $1 - $0 }), kernelIdle = shares(zip(before[0], after[0]).map { $1 - $0 })
        XCTAssertGreaterThan(kernelReader[1], 0.9)

        let m = try Machine(spec: .x86(memory: 128 << 20, cpus: 2))
        let engine = Engine(machine: m, seed: 1)
        var w = try Workloads.make("stream", machine: m)
        _ = try engine.run(&w, ops: .max, untilNs: 6_000_000_000)
        let t = engine.cpuTimes
        func modelShares(_ c: Int) -> [Double] {
            [t.userNs[c], t.systemNs[c], t.idleNs(c), t.iowaitNs[c]].map { Double($0) / Double(t.elapsedNs) }
        }
        // The model's reader is CPU 0; the kernel's dd ran on CPU 1.
        for (model, kernel, what) in [(modelShares(0), kernelReader, "the reader's CPU"), (modelShares(1), kernelIdle, "the CPU without a task")] {
            for (k, name) in ["user", "system", "idle", "iowait"].enumerated() {
                XCTAssertEqual(model[k], kernel[k], accuracy: 0.1, "\(what): \(name) share")
            }
        }
        XCTAssertGreaterThan(t.avenrun[0], 100, "the reader loads the machine: one LOAD_FREQ with a task always running gives 164")
    }

    /// A swap-in is iowait (io_schedule() while the read is in flight): /proc/stat's fifth
    /// column, left out of idle and of /proc/uptime's idle, and counted in the load average as
    /// an uninterruptible task.
    func testSwapInsAreIowait() throws {
        let m = try Machine(spec: .x86(memory: 128 << 20, cpus: 2))
        m.swapon(pages: (128 << 20) / K.pageSize)
        let engine = Engine(machine: m, seed: 1)
        var w = try Workloads.make("memhog", machine: m, params: ["mb": "192", "procs": "1", "swap_us": "2000"])
        _ = try engine.run(&w, ops: .max, untilNs: 6_000_000_000)
        XCTAssertGreaterThan(m.events[VMEvent.pswpin.rawValue], 0)
        var s = m.snapshot()
        s.cpu = engine.cpuTimes
        let t = try XCTUnwrap(s.cpu)
        let cpu0 = Stat.render(s).split(separator: "\n")[1].split(separator: " ").map { Int64($0) ?? -1 }
        XCTAssertEqual(cpu0[5], t.iowaitNs[0] / 10_000_000)
        XCTAssertGreaterThan(cpu0[5], 0)
        XCTAssertEqual(cpu0[1] + cpu0[3] + cpu0[4] + cpu0[5], t.elapsedNs / 10_000_000, accuracy: 4)
        let idle = (t.idleNs(0) + t.idleNs(1)) / 10_000_000
        XCTAssertTrue(Stat.uptime(s).hasSuffix(" \(idle / 100).\(idle % 100 < 10 ? "0" : "")\(idle % 100)\n"), Stat.uptime(s))
        let active = Double(t.userNs[0] + t.systemNs[0] + t.iowaitNs[0]) / Double(t.elapsedNs)
        XCTAssertGreaterThan(t.avenrun[0], Int(active * 164 * 0.8), "the load counts the swapping task, iowait included")
    }

    /// calc_global_load() every LOAD_FREQ, in the kernel's fixed point: two CPUs busy for the
    /// whole first interval take the 1-minute average from 0 to 328/2048 ("0.16").
    func testLoadAverageStepsAsTheKernels() {
        let a = CPUAccounting(cpus: 2, start: .zero)
        let interval = CPUAccounting.loadFreq
        a.addUser(0, interval)
        a.addSystem(1, interval)
        a.sampleLoad(now: interval)
        XCTAssertEqual(a.avenrun, [(4096 * (2048 - 1884) + 2047) / 2048, (4096 * (2048 - 2014) + 2047) / 2048, (4096 * (2048 - 2037) + 2047) / 2048])
        XCTAssertEqual(a.avenrun, [328, 68, 22])
        var s = try! Machine(spec: .x86(memory: 1 << 30, cpus: 2)).snapshot()
        s.cpu = a.times(elapsed: interval)
        XCTAssertTrue(Stat.loadavg(s).hasPrefix("0.16 0.03 0.01 "), Stat.loadavg(s))
        a.sampleLoad(now: interval + interval)
        XCTAssertEqual(a.avenrun[0], 328 * 1884 / 2048, "an idle interval decays it")
    }
}
