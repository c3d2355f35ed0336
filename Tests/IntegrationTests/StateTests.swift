import Foundation
import XCTest

/// Checkpoints through the binary: a mount killed with -9 comes back from its --state with
/// everything acknowledged before its last checkpoint; snapshot save, run/render --from-state.
final class StateTests: XCTestCase {
    /// write(2) of `text` to a file of the mount, as `echo` does: true when acknowledged.
    static func write(_ path: String, _ text: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) } == bytes.count
    }

    func pcpsim(_ args: [String]) throws -> Harness.Result { try Harness.run([Harness.binary] + args, timeout: 120) }

    static func inode(_ path: String) -> UInt64? {
        var st = stat()
        return stat(path, &st) == 0 ? UInt64(st.st_ino) : nil
    }

    static func counters(_ vmstat: String) -> [String: Int] {
        var out: [String: Int] = [:]
        for line in vmstat.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, let v = Int(f[1]), f[0].hasPrefix("pg") || f[0].hasPrefix("numa_") { out[String(f[0])] = v }
        }
        return out
    }

    /// /proc/stat's btime.
    static func btime(_ stat: String) -> Int? {
        stat.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap { Int($0.dropFirst(6)) }
    }

    /// Knob writes and a workload run while the mount checkpoints every 0.3 s. The writer is
    /// paused until two more checkpoints land (the second began after the pause), then writes
    /// on while the mount is killed with -9. The mount started again from --state has each
    /// knob at a value written no earlier than the pause, and no counter below the pause's.
    func testKill9KeepsWhatTheLastCheckpointAcknowledged() throws {
        try Harness.requireFuse()
        let dir = NSTemporaryDirectory() + "pcpsim-it-state-\(getpid())"
        let state = dir + ".state"
        try? FileManager.default.removeItem(atPath: state)
        let args = ["--memory", "1G", "--cpus", "4", "--workload", "random", "--pace", "20", "--state", state, "--state-interval", "0.3"]
        let first = try Mount(args, at: dir)
        XCTAssertTrue(StateTests.write(dir + "/sys/kernel/mm/pcpsim/pace", "25\n"))

        final class Writer: @unchecked Sendable {
            let lock = NSLock()
            var paused = false, stop = false, idle = false
            var acked = (minFree: 0, expire: 0), written = (minFree: 0, expire: 0)
        }
        let w = Writer()
        let thread = Thread {
            var i = 0
            while true {
                w.lock.lock()
                if w.stop { w.lock.unlock(); return }
                w.idle = w.paused
                let paused = w.paused
                w.lock.unlock()
                if paused { usleep(1000); continue }
                i += 1
                let minFree = 2000 + i, expire = 3000 + i
                w.lock.lock(); w.written = (minFree, expire); w.lock.unlock()
                let a = StateTests.write(dir + "/proc/sys/vm/min_free_kbytes", "\(minFree)\n")
                let b = StateTests.write(dir + "/proc/sys/vm/dirty_expire_centisecs", "\(expire)\n")
                w.lock.lock()
                if a { w.acked.minFree = minFree }
                if b { w.acked.expire = expire }
                w.lock.unlock()
            }
        }
        thread.start()
        defer { w.lock.lock(); w.stop = true; w.lock.unlock() }
        Thread.sleep(forTimeInterval: 1)
        w.lock.lock(); w.paused = true; w.lock.unlock()
        while true { w.lock.lock(); let idle = w.idle; w.lock.unlock(); if idle { break }; usleep(1000) }
        w.lock.lock(); let acked = w.acked; w.lock.unlock()
        XCTAssertGreaterThan(acked.minFree, 2000, "the writer got writes through")
        let before = StateTests.counters(first.read("proc/vmstat"))
        let uptime = Double(first.read("proc/uptime").split(separator: " ")[0])!
        let btime = StateTests.btime(first.read("proc/stat"))
        // The checker remembers these counters; the state carries its memory to the resumed mount.
        XCTAssertEqual(first.read(LiveMachinePaths.invariants), "ok\n")
        var seen = StateTests.inode(state)
        for _ in 0..<2 {
            let deadline = Date().addingTimeInterval(20)
            while StateTests.inode(state) == seen && Date() < deadline { usleep(5000) }
            XCTAssertNotEqual(StateTests.inode(state), seen, "a checkpoint landed")
            seen = StateTests.inode(state)
        }
        w.lock.lock(); w.paused = false; w.lock.unlock()
        Thread.sleep(forTimeInterval: 0.45)
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        w.lock.lock(); w.stop = true; let written = w.written; w.lock.unlock()

        let second = try Mount(args, at: dir)
        defer { second.stop() }
        let log = (try? String(contentsOf: second.log, encoding: .utf8)) ?? ""
        XCTAssertTrue(log.contains("resumed from \(state)"), log)
        let minFree = Int(second.read("proc/sys/vm/min_free_kbytes").dropLast())!
        let expire = Int(second.read("proc/sys/vm/dirty_expire_centisecs").dropLast())!
        XCTAssertTrue((acked.minFree...written.minFree).contains(minFree), "min_free_kbytes \(minFree): acknowledged \(acked.minFree) before the checkpoint, \(written.minFree) written last")
        XCTAssertTrue((acked.expire...written.expire).contains(expire), "dirty_expire_centisecs \(expire): acknowledged \(acked.expire), \(written.expire) written last")
        XCTAssertEqual(second.read("sys/kernel/mm/pcpsim/pace"), "25.0\n", "the mount's own knobs come back too")
        let after = StateTests.counters(second.read("proc/vmstat"))
        XCTAssertGreaterThan(before["pgfree"] ?? 0, 0, "the workload ran")
        for (name, v) in before { XCTAssertGreaterThanOrEqual(after[name] ?? -1, v, name) }
        XCTAssertGreaterThanOrEqual(Double(second.read("proc/uptime").split(separator: " ")[0])!, uptime)
        // The first mount ran for more than a second: a resumed machine keeps its boot time.
        XCTAssertEqual(StateTests.btime(second.read("proc/stat")), btime, "btime stays the original boot's")
        XCTAssertEqual(second.read(LiveMachinePaths.invariants), "ok\n")
    }

    /// snapshot save writes a running mount's machine; render and run continue it.
    func testSnapshotSaveThenRenderAndRunFromState() throws {
        try Harness.requireFuse()
        let m = try Mount(["--memory", "512M", "--cpus", "2", "--workload", "kbuild"])
        defer { m.stop() }
        XCTAssertTrue(StateTests.write(m.dir + "/proc/sys/vm/min_free_kbytes", "4321\n"))
        let file = m.dir + ".snap"
        let saved = try pcpsim(["snapshot", "save", m.dir, file])
        XCTAssertEqual(saved.status, 0, saved.err)
        let knob = try pcpsim(["render", "proc/sys/vm/min_free_kbytes", "--from-state", file])
        XCTAssertEqual(knob.out, "4321\n", knob.err)
        let run = try pcpsim(["run", "--from-state", file, "--ops", "2000", "--check-every", "500", "--check"])
        XCTAssertEqual(run.status, 0, run.err)
        XCTAssertTrue(run.out.contains("kbuild"), run.out)
        // Not a mount, a directory that cannot be written, a relative path written by hand.
        let notMount = try pcpsim(["snapshot", "save", NSTemporaryDirectory(), file])
        XCTAssertNotEqual(notMount.status, 0)
        XCTAssertTrue(notMount.err.contains("is not a running pcpsim mount"), notMount.err)
        let noDir = try pcpsim(["snapshot", "save", m.dir, "/nonexistent-dir/x.state"])
        XCTAssertTrue(noDir.err.contains("no directory"), noDir.err)
        XCTAssertFalse(StateTests.write(m.dir + "/sys/kernel/mm/pcpsim/save_state", "relative.state\n"))
    }

    /// The command line: `run` saved at N and continued to M prints the table a run to M
    /// prints; a damaged file and options the state already fixes are one-line errors.
    func testRunFromStatePrintsTheStraightTable() throws {
        let dir = NSTemporaryDirectory() + "pcpsim-it-runstate-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let base = ["run", "--workload", "thp", "--policy", "pcp-buddy", "--memory", "256M", "--cpus", "4", "--seed", "3"]
        let straight = try pcpsim(base + ["--ops", "9000"])
        XCTAssertEqual(straight.status, 0, straight.err)
        XCTAssertEqual(try pcpsim(base + ["--ops", "4000", "--save-state", dir + "/s.state", "--quiet"]).status, 0)
        let resumed = try pcpsim(["run", "--from-state", dir + "/s.state", "--ops", "5000"])
        XCTAssertEqual(resumed.out, straight.out)
        // The same machine saves the same bytes, whichever process saves it and however it got there.
        XCTAssertEqual(try pcpsim(base + ["--ops", "4000", "--save-state", dir + "/again.state", "--quiet"]).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/again.state")), try Data(contentsOf: URL(fileURLWithPath: dir + "/s.state")))
        XCTAssertEqual(try pcpsim(base + ["--ops", "9000", "--save-state", dir + "/straight.state", "--quiet"]).status, 0)
        XCTAssertEqual(try pcpsim(["run", "--from-state", dir + "/s.state", "--ops", "5000", "--save-state", dir + "/resumed.state", "--quiet"]).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/resumed.state")), try Data(contentsOf: URL(fileURLWithPath: dir + "/straight.state")))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/s.state"))
        bytes[bytes.count / 3] ^= 1
        try bytes.write(to: URL(fileURLWithPath: dir + "/bad.state"))
        let bad = try pcpsim(["run", "--from-state", dir + "/bad.state", "--ops", "10"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertEqual(bad.err, "pcpsim: error: state file '\(dir)/bad.state' refused: damaged: the checksum does not match the contents\n")
        let conflict = try pcpsim(["run", "--from-state", dir + "/s.state", "--policy", "pcp-merge"])
        XCTAssertEqual(conflict.status, 2)
        XCTAssertTrue(conflict.err.hasPrefix("pcpsim: error: --from-state takes the machine"), conflict.err)
        let mountBad = try pcpsim(["mount", dir + "/mnt", "--state", dir + "/bad.state"])
        XCTAssertEqual(mountBad.status, 2, "a damaged --state is refused, not replaced by a fresh machine")
        XCTAssertTrue(mountBad.err.contains("refused: damaged"), mountBad.err)
    }
}

enum LiveMachinePaths {
    static let invariants = "sys/kernel/debug/pcpsim/invariants"
}
