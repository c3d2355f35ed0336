import Foundation
import XCTest

/// fixtures/knobs-6.18: the C writer that recorded 2237 writes to a real 6.18 kernel's
/// /proc/sys/vm replays them through a mount of the captured VM, and its record must equal the
/// kernel's, column by column. The only differences allowed are the ones FUSE itself imposes
/// (the README's "How the mount serves files" lists them), and their number is pinned.
final class KnobMountReplayTests: XCTestCase {
    override func setUpWithError() throws { try Harness.requireFuse() }

    func testTheKernelsKnobTableThroughTheMount() throws {
        let cc = try Harness.require("cc")
        let here = Harness.root.appendingPathComponent("fixtures/knobs-6.18").path
        let scratch = NSTemporaryDirectory() + "pcpsim-knobs-\(getpid())"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let build = try Harness.run([cc, "-O2", "-o", scratch + "/knobwrite", here + "/knobwrite.c"])
        XCTAssertEqual(build.status, 0, build.err)
        // The captured VM: its zoneinfo, and the two boot values that depend on its history.
        // Freshly booted (--age 0): knob writes do not depend on the uptime, and aging this 24 GiB
        // machine in a debug build would outlast the harness's wait for the mount.
        let m = try Mount(["--like-zoneinfo", Harness.root.appendingPathComponent("fixtures/zoneinfo.txt").path, "--workload", "none", "--age", "0",
                           "--sysctl", "vm.min_free_kbytes=67584", "--sysctl", "vm.user_reserve_kbytes=100389"])
        // 2,237 rows of writes and reads take about 22 s on a quiet machine: give it room.
        let run = try Harness.run(["/bin/bash", "-c", "\(scratch)/knobwrite -d \(m.dir)/proc/sys/vm < \(here)/rows.tsv > \(scratch)/mount.tsv"],
                                  timeout: 300)
        XCTAssertEqual(run.status, 0, run.err)
        let kernel = table(here + "/results.tsv"), mount = table(scratch + "/mount.tsv")
        XCTAssertEqual(kernel.count, 2237)
        XCTAssertEqual(mount.count, kernel.count)
        var allowed: [String: Int] = [:], mismatches: [String] = []
        for (k, g) in zip(kernel, mount) {
            for column in ["ID", "BEFORE", "OPEN", "R1", "POS1", "R2", "POS2", "READ0", "READ0_TEXT", "READ2", "PREAD1", "PREAD1_TEXT", "RESTORED"]
            where k[column] != g[column] {
                if let why = fuseDifference(k, column) {
                    allowed[why, default: 0] += 1
                } else {
                    mismatches.append("\(k["ID"]!) \(k["KNOB"]!) \(column): kernel \(k[column]!), mount \(g[column]!)")
                }
            }
        }
        XCTAssertEqual(mismatches, [], mismatches.prefix(30).joined(separator: "\n"))
        XCTAssertEqual(allowed, ["O_APPEND offset": 39, "offset of a write procfs takes in place": 24,
                                 "4 MiB write": 27, "empty write": 1], "the differences FUSE imposes, and no others")
    }

    /// Why a column may differ through FUSE, or nil.
    func fuseDifference(_ k: [String: String], _ column: String) -> String? {
        let pos = column == "POS1" || column == "POS2"
        // FUSE puts an O_APPEND write at the file's size and moves the offset from there;
        // procfs ignores O_APPEND. (The write itself is applied as procfs applies it.)
        if pos && k["HOW"] == "append" { return "O_APPEND offset" }
        // procfs may return a count without moving the offset; FUSE always moves it.
        if pos, let r = Int(k[column == "POS1" ? "R1" : "R2"]!), r > 0 { return "offset of a write procfs takes in place" }
        // FUSE splits a write into max_write requests, so no request shows its 4 MiB length:
        // EINVAL from the first 4095 bytes instead of ENOMEM, the value unchanged either way.
        if column == "R1" && k["R1"] == "-ENOMEM" { return "4 MiB write" }
        // FUSE does not pass an empty write on (it returns 0); numa_zonelist_order refuses one.
        if column == "R1" && k["DATA1"] == "" { return "empty write" }
        return nil
    }

    func table(_ path: String) -> [[String: String]] {
        let lines = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").filter { !$0.hasPrefix("#") }
        guard let header = lines.first?.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) else { return [] }
        return lines.dropFirst().map { line in
            Dictionary(uniqueKeysWithValues: zip(header, line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)))
        }
    }
}
