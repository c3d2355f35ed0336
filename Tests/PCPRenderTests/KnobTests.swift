import XCTest
import PCPModel
import PCPRender
import PCPLive

/// Knob writes: the kernel's errno, nothing changed on error, the new value read back.
final class KnobTests: XCTestCase {
    func live() throws -> LiveMachine {
        LiveMachine(machine: try Fixture.machine(), workload: nil, seed: 1)
    }

    func read(_ l: LiveMachine, _ p: String) -> String { String(decoding: l.read(p), as: UTF8.self) }

    func testPercpuPagelistHighFraction() throws {
        let l = try live()
        let p = "proc/sys/vm/percpu_pagelist_high_fraction"
        XCTAssertEqual(l.write(p, Array("5\n".utf8)), 22, "1..7 is EINVAL")
        XCTAssertEqual(read(l, p), "0\n")
        XCTAssertEqual(l.write(p, Array("8\n".utf8)), 0)
        XCTAssertEqual(read(l, p), "8\n")
        XCTAssertTrue(read(l, "proc/zoneinfo").contains("high_min: 48307\n              high_max: 48307"))
    }

    func testValidationErrnos() throws {
        let l = try live()
        let cases: [(String, String, Int32)] = [
            ("proc/sys/vm/watermark_scale_factor", "0", 22), ("proc/sys/vm/watermark_scale_factor", "3001", 22),
            ("proc/sys/vm/watermark_scale_factor", "abc", 22), ("proc/sys/vm/watermark_scale_factor", "-1", 22),
            ("proc/sys/vm/watermark_scale_factor", "   \n", 22), ("proc/sys/vm/watermark_scale_factor", "12x", 22),
            ("proc/sys/vm/watermark_scale_factor", "4294967306", 22), ("proc/sys/vm/watermark_scale_factor", " 20\n", 0),
            ("proc/sys/vm/min_free_kbytes", "-5", 22), ("proc/sys/vm/extfrag_threshold", "1001", 22),
            ("proc/sys/vm/compact_memory", "0", 22), ("proc/sys/vm/compact_memory", "1", 0),
            ("proc/sys/vm/drop_caches", "0", 22), ("proc/sys/vm/drop_caches", "3", 0), ("proc/sys/vm/drop_caches", "5", 0),
            ("proc/sys/vm/defrag_mode", "2", 22), ("proc/sys/vm/lowmem_reserve_ratio", "abc", 0),
            ("sys/kernel/mm/transparent_hugepage/enabled", "sometimes", 22),
            ("sys/kernel/mm/transparent_hugepage/enabled", "never\n", 0),
            ("proc/buddyinfo", "1", 13),
        ]
        for (p, v, errno) in cases {
            let before = read(l, "proc/zoneinfo")
            XCTAssertEqual(l.write(p, Array(v.utf8)), errno, "\(p) <- \(v.debugDescription)")
            if errno != 0 { XCTAssertEqual(read(l, "proc/zoneinfo"), before, "a refused write changes nothing") }
        }
        XCTAssertEqual(read(l, "proc/sys/vm/watermark_scale_factor"), "20\n")
        XCTAssertEqual(read(l, "sys/kernel/mm/transparent_hugepage/enabled"), "always madvise [never]\n")
        XCTAssertTrue(read(l, "proc/vmstat").contains("drop_pagecache 2\ndrop_slab 1\n"))
        XCTAssertEqual(read(l, "proc/sys/vm/lowmem_reserve_ratio"), "256\t256\t32\t0\t0\n")
    }

    /// Every writable knob against hostile text: a write refused leaves every file the same
    /// (every knob, zoneinfo, vmstat), whatever the knob, as the machine shows it republished.
    func testARefusedWriteChangesNothingOnAnyKnob() throws {
        let l = try live()
        let files = KnobTable.all.map(\.path).filter { !$0.hasSuffix("drop_caches") && !$0.hasSuffix("compact_memory") } + ["proc/zoneinfo", "proc/vmstat"]
        func state() -> [String] { files.map { read(l, $0) } }
        let hostile = ["-1", "abc", "99999999999999999999", "", "\n", "1 2", "0x", "2147483648", "-2147483649", "1.5", "\u{0}", String(repeating: "9", count: 300)]
        var refused = 0
        for k in KnobTable.all where k.mode & 0o222 != 0 {
            for v in hostile {
                let before = state()
                let errno = l.write(k.path, Array(v.utf8))
                guard errno != 0 else { continue }
                refused += 1
                l.withState { _, _, _, _ in }  // a refused write publishes nothing: publish what it left
                XCTAssertTrue([13, 22, 34, 12].contains(errno), "\(k.path) <- \(v.debugDescription): errno \(errno)")
                let after = state()
                if let i = files.indices.first(where: { before[$0] != after[$0] }) {
                    XCTFail("\(k.path) <- \(v.debugDescription) refused with \(errno) but changed \(files[i])")
                }
            }
        }
        XCTAssertGreaterThan(refused, 300)
    }

    /// Writing back what a vm sysctl reads is taken and changes nothing, as `sysctl -a` saved and
    /// replayed with `sysctl -p` relies on (tabs and all, for lowmem_reserve_ratio), except where
    /// 6.18 itself does otherwise.
    func testEveryVMSysctlTakesBackWhatItReads() throws {
        let l = try live()
        let knobs = KnobTable.all.filter { $0.path.hasPrefix("proc/sys/vm/") && $0.mode & 0o222 != 0 }
        let files = KnobTable.all.map(\.path) + ["proc/zoneinfo", "proc/vmstat"]
        func state() -> [String] { files.map { read(l, $0) } }
        // What 6.18 does instead, as this machine's kernel did it (fixtures/knobs-6.18/writeback.txt,
        // capture-writeback): dirty_bytes and dirty_background_bytes refuse their own 0 (their
        // minimums are 2 pages and 1 byte), and a write of overcommit_kbytes zeroes overcommit_ratio.
        let capture = try String(contentsOf: Fixture.root.appendingPathComponent("fixtures/knobs-6.18/writeback.txt"), encoding: .utf8)
        let exceptions = capture.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.hasSuffix(": ok") }.map(String.init)
        XCTAssertEqual(exceptions, ["dirty_background_bytes: EINVAL", "dirty_bytes: EINVAL", "overcommit_kbytes: ok; moved: overcommit_ratio "])
        let refusesItsZero: Set = ["proc/sys/vm/dirty_bytes", "proc/sys/vm/dirty_background_bytes"]
        var written = 0
        for k in knobs {
            let text = l.read(k.path)
            guard !text.isEmpty else { continue }  // write-only (compact_memory, drop_caches)
            let before = state()
            let want: Int32 = refusesItsZero.contains(k.path) && text == Array("0\n".utf8) ? 22 : 0
            XCTAssertEqual(l.write(k.path, text), want, "\(k.path) <- \(String(decoding: text, as: UTF8.self).debugDescription)")
            l.withState { _, _, _, _ in }
            var after = state()
            // overcommit_kbytes_handler() zeroes overcommit_ratio on every write, its own value included.
            if k.path == "proc/sys/vm/overcommit_kbytes", let r = files.firstIndex(of: "proc/sys/vm/overcommit_ratio") {
                XCTAssertEqual(after[r], "0\n")
                XCTAssertEqual(l.write(files[r], Array(before[r].utf8)), 0)
                l.withState { _, _, _, _ in }
                after = state()
            }
            if let i = files.indices.first(where: { before[$0] != after[$0] }) {
                XCTFail("\(k.path): writing back what it read changed \(files[i])")
            }
            written += 1
        }
        XCTAssertGreaterThan(written, 40)
    }

    func testHexAndOctalLikeStrtoul() throws {
        let l = try live()
        XCTAssertEqual(l.write("proc/sys/vm/watermark_scale_factor", Array("0x20".utf8)), 0)
        XCTAssertEqual(read(l, "proc/sys/vm/watermark_scale_factor"), "32\n")
        XCTAssertEqual(l.write("proc/sys/vm/watermark_scale_factor", Array("010".utf8)), 0)
        XCTAssertEqual(read(l, "proc/sys/vm/watermark_scale_factor"), "8\n")
    }

    func testTHPNeverThenAlwaysRecomputesMinFreeKbytes() throws {
        let m = try Fixture.machine([])
        try Fixture.write(m, "sys/kernel/mm/transparent_hugepage/enabled", "never")
        XCTAssertLessThan(m.knobs.minFreeKbytes, 67584, "back to sqrt(lowmem x 16)")
        try Fixture.write(m, "sys/kernel/mm/transparent_hugepage/enabled", "always")
        XCTAssertEqual(m.knobs.minFreeKbytes, 67584)
    }
}

/// pcpsim's own knobs and the engine-backed files of a live machine.
final class LiveFileTests: XCTestCase {
    func read(_ l: LiveMachine, _ p: String) -> String { String(decoding: l.read(p), as: UTF8.self) }

    func testPolicyKnobSwitchesTheDesign() throws {
        let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2))
        let l = LiveMachine(machine: m, workload: RandomMix(machine: m), seed: 1)
        let p = "sys/kernel/mm/pcpsim/policy"
        XCTAssertEqual(read(l, p), "[baseline] pcp-buddy pcp-merge block-economy\n")
        XCTAssertEqual(l.write(p, Array("pcp-buddy\n".utf8)), 0)
        XCTAssertEqual(read(l, p), "baseline [pcp-buddy] pcp-merge block-economy\n")
        XCTAssertEqual(m.policy, .pcpBuddy)
        XCTAssertEqual(l.write(p, Array("slab".utf8)), 22)
        XCTAssertEqual(m.policy, .pcpBuddy)
        XCTAssertEqual(l.write("sys/kernel/mm/pcpsim/pace", Array("0".utf8)), 22)
        XCTAssertEqual(l.write("sys/kernel/mm/pcpsim/pace", Array("2.5\n".utf8)), 0)
        XCTAssertEqual(read(l, "sys/kernel/mm/pcpsim/pace"), "2.5\n")
        XCTAssertEqual(l.write("sys/kernel/mm/pcpsim/remote_free_lock", Array("trylock".utf8)), 0)
        XCTAssertEqual(m.pcpBuddyOptions.remoteFreeLock, .trylock)
        XCTAssertEqual(l.write("sys/kernel/mm/pcpsim/workload", Array("none".utf8)), 13)
        XCTAssertEqual(read(l, "sys/kernel/mm/pcpsim/workload"), "random\n")
    }

    func testLockStatHasTheKernelLayout() throws {
        let m = try Machine(spec: .x86(memory: 512 << 20, cpus: 4))
        var w: Workload = RandomMix(machine: m)
        let e = Engine(machine: m, seed: 3)
        try e.run(&w, ops: 20000)
        var s = m.snapshot()
        s.locks = e.locks
        let text = ProcFiles.fixed.first { $0.path == "proc/lock_stat" }!.render(s)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines[0], "lock_stat version 0.4")
        XCTAssertEqual(lines[1].count, 40 + 1 + 12 * 15)
        XCTAssertTrue(lines[2].hasSuffix("   holdtime-avg"))
        let zone = lines.first { $0.hasSuffix("") && $0.contains("&zone->lock:") }!
        let fields = zone.split(separator: ":")[1].split(separator: " ")
        XCTAssertEqual(fields.count, 12)
        XCTAssertEqual(Int(fields[7]), e.zoneLock.acquisitions)
        XCTAssertEqual(Int(fields[1]), e.zoneLock.contentions)
        // Times are µs with two decimals.
        XCTAssertTrue(fields[4].contains(".") && fields[4].split(separator: ".")[1].count == 2)
    }
}

/// The mount's tracefs files: per-event enable, trace, trace_pipe.
final class TraceFileTests: XCTestCase {
    func read(_ l: LiveMachine, _ p: String) -> String { String(decoding: l.read(p), as: UTF8.self) }

    func testEnableReadAndClear() throws {
        let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2))
        let l = LiveMachine(machine: m, workload: FaultLoop(machine: m, pagesPerCPU: 2000), seed: 1)
        let enable = "sys/kernel/tracing/events/kmem/mm_page_alloc_zone_locked/enable"
        XCTAssertEqual(read(l, enable), "0\n", "events start disabled, as in the kernel")
        XCTAssertEqual(l.write(enable, Array("2".utf8)), 22)
        XCTAssertEqual(l.write(enable, Array("1\n".utf8)), 0)
        XCTAssertEqual(read(l, enable), "1\n")
        l.step(ops: 5000)
        let trace = read(l, "sys/kernel/tracing/trace")
        XCTAssertTrue(trace.hasPrefix("# tracer: nop\n"))
        let events = trace.split(separator: "\n").filter { !$0.hasPrefix("#") }
        XCTAssertFalse(events.isEmpty)
        XCTAssertTrue(events.allSatisfy { $0.contains(": mm_page_alloc_zone_locked: page=") && $0.contains("percpu_refill=") })
        let piped = read(l, "sys/kernel/tracing/trace_pipe").split(separator: "\n")
        XCTAssertEqual(piped.count, events.count, "trace_pipe hands out what is buffered once")
        XCTAssertEqual(read(l, "sys/kernel/tracing/trace_pipe"), "")
        XCTAssertEqual(l.write("sys/kernel/tracing/trace", Array("\n".utf8)), 0)
        XCTAssertTrue(read(l, "sys/kernel/tracing/trace").split(separator: "\n").allSatisfy { $0.hasPrefix("#") })
    }
}
