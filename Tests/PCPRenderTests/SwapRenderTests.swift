import XCTest
import PCPModel
import PCPRender

/// /proc/swaps, meminfo's swap lines and vmstat's swap events, as swap_show(),
/// meminfo_proc_show() and vmstat_show() print them.
final class SwapRenderTests: XCTestCase {
    func meminfo(_ text: String, _ key: String) -> Int? {
        text.split(separator: "\n").first { $0.hasPrefix(key + ":") }.flatMap { Int($0.split(separator: " ")[1]) }
    }

    func testNoSwapPrintsTheHeaderAlone() throws {
        let m = try Machine(spec: .x86(memory: 64 << 20, cpus: 1))
        XCTAssertEqual(Swaps.render(m.snapshot()), "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n")
        XCTAssertEqual(meminfo(Meminfo.render(m.snapshot()), "SwapTotal"), 0)
    }

    /// A 2 GiB device: 524287 usable pages (one is the header), the path padded to 40 columns,
    /// tabs doubled below 10^7 kB, the first default priority -2; in use after reclaim.
    func testADeviceInUse() throws {
        let m = try Machine(spec: .x86(memory: 128 << 20, cpus: 2))
        m.swapon(pages: (2 << 30) / K.pageSize)
        var s = m.snapshot()
        XCTAssertEqual(Swaps.render(s), "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
                       + "/dev/zram0" + String(repeating: " ", count: 30) + "partition\t2097148\t\t0\t\t-2\n")
        let commitBefore = try XCTUnwrap(meminfo(Meminfo.render(s), "CommitLimit"))
        var w = try Workloads.make("memhog", machine: m, params: ["mb": "192"])
        try Engine(machine: m, seed: 1).run(&w, ops: 200_000)
        s = m.snapshot()
        let used = (s.swapTotalPages - s.swapFreePages) * 4
        XCTAssertGreaterThan(used, 0)
        XCTAssertTrue(Swaps.render(s).hasSuffix("partition\t2097148\t\t\(used)\t\t-2\n"), Swaps.render(s))
        let info = Meminfo.render(s)
        XCTAssertEqual(meminfo(info, "SwapTotal"), 2097148)
        XCTAssertEqual(meminfo(info, "SwapFree"), 2097148 - used)
        XCTAssertEqual(meminfo(info, "SwapCached"), 0)
        // vm_commit_limit() adds the swap pages to half of RAM.
        let noSwap = try Machine(spec: .x86(memory: 128 << 20, cpus: 2))
        XCTAssertEqual(commitBefore - (try XCTUnwrap(meminfo(Meminfo.render(noSwap.snapshot()), "CommitLimit"))), 2097148)
        let vmstat = Vmstat.render(s)
        XCTAssertTrue(vmstat.contains("\npswpout \(m.events[VMEvent.pswpout.rawValue])\n"))
        XCTAssertTrue(vmstat.contains("\npswpin \(m.events[VMEvent.pswpin.rawValue])\n"))
        XCTAssertGreaterThan(m.events[VMEvent.pswpout.rawValue], 0)
    }
}
