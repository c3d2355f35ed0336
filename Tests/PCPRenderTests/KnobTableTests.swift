import XCTest
import PCPModel
import PCPRender

/// The knob table without a mount: formats parse and show, setters hold the ranges, errors
/// map to the kernel's errno.
final class KnobTableTests: XCTestCase {
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    func testFormatsParseAndShow() throws {
        XCTAssertEqual(try KnobFormat<Int>.int.parse(bytes(" 0x20\n")).value, 32)
        XCTAssertEqual(KnobFormat<Int>.int.show(32), "32\n")
        XCTAssertThrowsError(try KnobFormat<Int>.int.parse(bytes("12x"))) { XCTAssertEqual($0 as? KnobWriteError, .invalid) }
        XCTAssertEqual(try KnobFormat<[Int]>.partialInts(max: 3).parse(bytes("1 2 x 4")).value, [1, 2], "values before the error")
        XCTAssertEqual(KnobFormat<[Int]>.partialInts(max: 3).show([1, 2, 3]), "1\t2\t3\n")
        XCTAssertEqual(try KnobFormat<Policy>.choice.parse(bytes("pcp-merge\n")).value, .pcpMerge)
        XCTAssertThrowsError(try KnobFormat<Policy>.choice.parse(bytes("pcp-merge\n\n"))) { XCTAssertEqual($0 as? KnobWriteError, .invalid) }
        XCTAssertEqual(KnobFormat<THPMode>.choice.show(.madvise), "always [madvise] never\n")
        XCTAssertEqual(try KnobFormat<Double>.real.parse(bytes("2.5\n")).value, 2.5)
        XCTAssertThrowsError(try KnobFormat<Double>.real.parse(bytes("fast"))) { XCTAssertEqual($0 as? KnobWriteError, .invalid) }
    }

    /// A value the format reads but the setter refuses is EINVAL at apply, and changes nothing.
    func testRangesLiveInTheSetters() throws {
        let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2))
        let before = m.knobs
        for (name, value) in [("watermark_scale_factor", "0"), ("watermark_scale_factor", "3001"), ("percpu_pagelist_high_fraction", "5"),
                              ("extfrag_threshold", "1001"), ("defrag_mode", "2"), ("compact_memory", "0"), ("min_free_kbytes", "-1")] {
            let w = try KnobTable.byPath["proc/sys/vm/" + name]!.parse(bytes(value))
            XCTAssertThrowsError(try w.apply(to: m), name) { XCTAssertEqual(($0 as? KnobWriteError)?.errno, 22) }
        }
        XCTAssertEqual(m.knobs, before)
    }

    func testErrnos() throws {
        XCTAssertThrowsError(try KnobTable.byPath["sys/kernel/mm/pcpsim/workload"]!.parse(bytes("kbuild"))) {
            XCTAssertEqual(($0 as? KnobWriteError)?.errno, 13, "read-only: EACCES")
        }
        XCTAssertThrowsError(try KnobTable.byPath["proc/sys/vm/min_free_kbytes"]!.parse(bytes("lots"))) {
            XCTAssertEqual(($0 as? KnobWriteError)?.errno, 22)
        }
        XCTAssertNil(KnobTable.byPath["proc/sys/vm/drop_caches"]!.read(KnobView(snapshot: try Machine(spec: .x86(memory: 256 << 20, cpus: 2)).snapshot())),
                     "write-only")
    }

    func testMountKnobsSetTheControls() throws {
        let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2))
        var c = MountControls()
        try KnobTable.byPath["sys/kernel/mm/pcpsim/pace"]!.parse(bytes("2.5")).apply(to: m, controls: &c)
        XCTAssertEqual(c.pace, 2.5)
        XCTAssertThrowsError(try KnobTable.byPath["sys/kernel/mm/pcpsim/pace"]!.parse(bytes("1001")).apply(to: m, controls: &c))
        try KnobTable.byPath["sys/kernel/tracing/events/kmem/mm_page_free/enable"]!.parse(bytes("1")).apply(to: m, controls: &c)
        XCTAssertEqual(c.enabledEvents, ["mm_page_free"])
        XCTAssertTrue(c.tracing)
        let view = KnobView(snapshot: m.snapshot(), controls: c)
        XCTAssertEqual(KnobTable.byPath["sys/kernel/mm/pcpsim/pace"]!.read(view), "2.5\n")
        XCTAssertEqual(KnobTable.byPath["sys/kernel/tracing/events/kmem/mm_page_free/enable"]!.read(view), "1\n")
        XCTAssertEqual(KnobTable.byPath["sys/kernel/tracing/events/kmem/mm_page_alloc/enable"]!.read(view), "0\n")
    }

    func testMachineKnobsOfPCPSim() throws {
        let m = try Machine(spec: .x86(memory: 256 << 20, cpus: 2))
        try KnobTable.knob(forSysctl: "sys.kernel.mm.pcpsim.phase2_chunk")!.parse(bytes("smallest")).apply(to: m)
        XCTAssertFalse(m.pcpBuddyOptions.phase2LargestFirst)
        try KnobTable.knob(forSysctl: "sys/kernel/mm/pcpsim/remote_free_lock")!.parse(bytes("trylock\n")).apply(to: m)
        XCTAssertEqual(m.pcpBuddyOptions.remoteFreeLock, .trylock)
        XCTAssertEqual(KnobTable.byPath["sys/kernel/mm/pcpsim/phase2_chunk"]!.read(KnobView(snapshot: m.snapshot())), "largest [smallest]\n")
        try KnobTable.knob(forSysctl: "sys.kernel.mm.pcpsim.contig_pcp")!.parse(bytes("take-from-pcp")).apply(to: m)
        XCTAssertEqual(m.pcpBuddyOptions.contigPCP, .takeFromPCP)
        XCTAssertEqual(KnobTable.byPath["sys/kernel/mm/pcpsim/contig_pcp"]!.read(KnobView(snapshot: m.snapshot())), "drain-all pcp-disable [take-from-pcp]\n")
        XCTAssertThrowsError(try KnobTable.knob(forSysctl: "sys.kernel.mm.pcpsim.contig_pcp")!.parse(bytes("drain")))
    }

    func testSysctlNames() {
        XCTAssertEqual(KnobTable.knob(forSysctl: "vm.min_free_kbytes")?.path, "proc/sys/vm/min_free_kbytes")
        XCTAssertEqual(KnobTable.knob(forSysctl: "vm/min_free_kbytes")?.path, "proc/sys/vm/min_free_kbytes")
        XCTAssertEqual(KnobTable.knob(forSysctl: "sys.kernel.mm.transparent_hugepage.enabled")?.path, "sys/kernel/mm/transparent_hugepage/enabled")
        XCTAssertNil(KnobTable.knob(forSysctl: "min_free_kbytes"))
        XCTAssertEqual(KnobTable.all.map(KnobTable.sysctlName).first, "vm.admin_reserve_kbytes")
        XCTAssertEqual(Set(KnobTable.all.map(\.path)).count, KnobTable.all.count, "one entry per path")
    }
}
