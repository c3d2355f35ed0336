import Foundation
import Glibc
import PCPFuse
import PCPLive
@testable import PCPModel
import PCPRender
import Synchronization
import XCTest

/// pcpsim's own live machine behind the mount, publishing every tick while a workload runs
/// (slowly, so that ticks keep their 50 ms with 8 readers on the CPUs): 8 readers of buddyinfo,
/// zoneinfo and vmstat as cat reads them, each read equal to the text of one publication, a
/// read(2) after it returning nothing, and never older than
/// the last publication shown before it began. PCPFUSE_STRESS_READS sets
/// the number of reads (default 300,000, a few seconds); scripts/bench-consistency runs 10^6 and more.
final class LiveMachineTests: XCTestCase {
    /// pcpsim's LiveMachine as a FileTable (the mount command adapts it the same way).
    final class Table: FileTable, @unchecked Sendable {
        let live: LiveMachine
        init(_ live: LiveMachine) { self.live = live }
        var files: [FileEntry] { live.entries.map {
            var f = FileEntry(path: $0.path, mode: $0.mode, fromSnapshot: $0.isSnapshot)
            f.slow = $0.isSlow
            return f
        } }
        func read(_ path: String) -> [UInt8] { live.read(path) }
        func write(_ path: String, _ data: [UInt8]) -> Int32 { live.write(path, data) }
    }

    func testEightReadersWhileTheMachinePublishesEveryTick() throws {
        try XCTSkipUnless(access("/dev/fuse", F_OK) == 0 && geteuid() == 0, "mounting needs root and /dev/fuse")
        let reads = Int(ProcessInfo.processInfo.environment["PCPFUSE_STRESS_READS"] ?? "") ?? 300_000
        let files = ["proc/buddyinfo", "proc/zoneinfo", "proc/vmstat"]
        let machine = try Machine(spec: .x86(memory: 4 << 30, cpus: 8))
        var controls = MountControls()
        try controls.setPace(0.01)
        let live = LiveMachine(machine: machine, workload: RandomMix(machine: machine), seed: 1, controls: controls)
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let table = Table(live)
        let server = try FuseServer(table: table, mountpoint: directory + "/mnt")
        let serving = DispatchSemaphore(value: 0)
        Thread {
            try? server.run()
            serving.signal()
        }.start()
        defer {
            server.stop()
            _ = serving.wait(timeout: .now() + 10)
        }
        /// Every text each file showed, with the last publication that showed it (replaced, not
        /// changed in place, so that readers look texts up outside the lock).
        let shown = Mutex([String: [String: Int]]())
        let visible = Atomic<Int>(0)
        let record: @Sendable (Int) -> Void = { publication in
            var next = shown.withLock { $0 }
            for file in files {
                next[file, default: [:]][String(decoding: table.read(file), as: UTF8.self)] = publication
            }
            shown.withLock { $0 = next }
        }
        record(0)
        let publications = Atomic<Int>(0)
        live.onPublish = {
            let publication = publications.add(1, ordering: .relaxed).newValue
            record(publication)
            server.contentChanged()
            visible.store(publication, ordering: .releasing)
        }
        live.start()
        defer { live.stop() }

        let failures = Mutex([String]())
        let counts = Mutex((reads: 0, torn: 0, stale: 0))
        let group = DispatchGroup()
        for reader in 0..<8 {
            group.enter()
            Thread {
                defer { group.leave() }
                var mine = (reads: 0, torn: 0, stale: 0)
                var buffer = [UInt8](repeating: 0, count: 1 << 20)
                for n in 0..<reads / 8 {
                    let file = files[(n + reader) % files.count]
                    let before = visible.load(ordering: .acquiring)
                    let fd = open(directory + "/mnt/" + file, O_RDONLY)
                    guard fd >= 0 else { failures.withLock { $0.append("open \(file): \(errno)") }; continue }
                    let got = read(fd, &buffer, buffer.count)
                    var rest = [UInt8](repeating: 0, count: 4096)
                    let after = got > 0 ? read(fd, &rest, rest.count) : 0 // cat's read at the end
                    close(fd)
                    mine.reads += 1
                    if after != 0 {
                        mine.torn += 1
                        failures.withLock { if $0.count < 5 { $0.append("\(file): \(after) bytes after the whole \(got)") } }
                        continue
                    }
                    let text = String(decoding: buffer[..<max(got, 0)], as: UTF8.self)
                    guard let publication = Self.publication(showing: text, of: file, in: shown, visible: visible) else {
                        mine.torn += 1
                        failures.withLock { if $0.count < 5 { $0.append("\(file): \(got) bytes matching no publication") } }
                        continue
                    }
                    if publication < before {
                        mine.stale += 1
                        failures.withLock { if $0.count < 5 { $0.append("\(file): publication \(publication) read after \(before)") } }
                    }
                }
                counts.withLock { $0 = ($0.reads + mine.reads, $0.torn + mine.torn, $0.stale + mine.stale) }
            }.start()
        }
        group.wait()
        let total = counts.withLock { $0 }
        print("live machine: \(total.reads) reads over \(publications.load(ordering: .relaxed)) publications: "
            + "\(total.torn) torn, \(total.stale) stale")
        XCTAssertEqual(failures.withLock { $0 }, [])
        XCTAssertEqual(total.torn, 0)
        XCTAssertEqual(total.stale, 0)
        XCTAssertGreaterThan(publications.load(ordering: .relaxed), 10)
    }

    /// The publication whose `file` showed `text`. A publication is recorded after the machine
    /// publishes it, so a text read in between is that next publication's: read once more after
    /// it has been recorded, and a text still unknown is one no publication showed.
    static func publication(showing text: String, of file: String, in shown: borrowing Mutex<[String: [String: Int]]>,
                            visible: borrowing Atomic<Int>) -> Int? {
        let recorded = visible.load(ordering: .acquiring)
        if let publication = shown.withLock({ $0 })[file]?[text] { return publication }
        let deadline = Date() + 10
        while visible.load(ordering: .acquiring) <= recorded && Date() < deadline { usleep(200) }
        return shown.withLock { $0 }[file]?[text]
    }

    /// The invariant check runs on a forked copy of the machine, and still reports what is
    /// wrong with the machine itself.
    func testInvariantsFileChecksTheMachine() throws {
        let machine = try Machine(spec: .x86(memory: 64 << 20, cpus: 2))
        let live = LiveMachine(machine: machine, workload: RandomMix(machine: machine), seed: 1)
        live.step(ops: 2000)
        XCTAssertEqual(String(decoding: live.read(LiveMachine.invariantsPath), as: UTF8.self), "ok\n")
        let zone = machine.zones.first { $0.isPopulated && $0.managed > 0 }!
        zone.pcp[1].count += 1
        let verdict = String(decoding: live.read(LiveMachine.invariantsPath), as: UTF8.self)
        XCTAssertTrue(verdict.contains("CPU 1 pcp->count"), verdict)
        zone.pcp[1].count -= 1
        XCTAssertEqual(String(decoding: live.read(LiveMachine.invariantsPath), as: UTF8.self), "ok\n")
    }
}
