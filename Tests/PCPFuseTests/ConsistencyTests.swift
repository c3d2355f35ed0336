import Foundation
import Glibc
import Synchronization
import XCTest

/// Readers against a table that keeps publishing: every read is one whole publication (never
/// torn across two, never cut to another's size), never older than the last publication that
/// returned before the read began (never stale), and never older than the reader's previous
/// read. PCPFUSE_STRESS_READS sets the number of reads (default 200,000, about 10 s);
/// scripts/bench-consistency runs 10^6 and more.
final class ConsistencyTests: FuseTestCase {
    override var watchdogSeconds: Double { 3600 }

    func testEightReadersAgainstAPublishingTable() throws {
        let reads = Int(ProcessInfo.processInfo.environment["PCPFUSE_STRESS_READS"] ?? "") ?? 200_000
        let tickMicroseconds = UInt32(ProcessInfo.processInfo.environment["PCPFUSE_STRESS_TICK_US"] ?? "") ?? 5_000
        let report = try stress(readers: 8, reads: reads, tickMicroseconds: tickMicroseconds, files: ["proc/pages", "proc/counter"])
        print("consistency: \(report.reads) reads of \(report.publications) publications: "
            + "\(report.torn) torn, \(report.stale) stale, \(report.backwards) backwards")
        XCTAssertEqual(report.samples, [])
        XCTAssertEqual(report.torn, 0)
        XCTAssertEqual(report.stale, 0)
        XCTAssertEqual(report.backwards, 0)
        XCTAssertGreaterThan(report.publications, 10)
    }

    /// Freshness with nobody else around: each read after a publication shows it.
    func testCounterReadAfterPublishShowsIt() {
        for generation in 1...50 {
            XCTAssertEqual(contents(path("proc/counter")), StubTable.counter(generation))
            XCTAssertEqual(StubTable.generation(ofPages: contents(path("proc/pages"))), generation)
            table.publish()
        }
    }

    struct Report {
        var reads = 0, torn = 0, stale = 0, backwards = 0, publications = 0
        var samples: [String] = []
    }

    private func stress(readers: Int, reads: Int, tickMicroseconds: UInt32, files: [String]) throws -> Report {
        let visible = Atomic<Int>(1)
        let done = Atomic<Bool>(false)
        let report = Mutex(Report())
        let table = table!
        let publisher = Thread {
            while !done.load(ordering: .acquiring) {
                usleep(tickMicroseconds)
                table.publish()
                visible.store(table.state.withLock { $0.generation }, ordering: .releasing)
            }
        }
        publisher.start()
        let group = DispatchGroup()
        let paths = files.map { path($0) }
        for reader in 0..<readers {
            group.enter()
            Thread {
                defer { group.leave() }
                var mine = Report()
                var last: [String: Int] = [:]
                var buffer = [UInt8](repeating: 0, count: 65536)
                for n in 0..<reads / readers {
                    let file = paths[(n + reader) % paths.count]
                    let before = visible.load(ordering: .acquiring)
                    let fd = open(file, O_RDONLY)
                    guard fd >= 0 else {
                        mine.samples.append("open \(file): \(String(cString: strerror(errno)))")
                        continue
                    }
                    let got = read(fd, &buffer, buffer.count)
                    close(fd)
                    mine.reads += 1
                    let text = String(decoding: buffer[..<max(got, 0)], as: UTF8.self)
                    let generation = file.hasSuffix("pages") ? StubTable.generation(ofPages: text)
                        : (text.count == 260 && text == StubTable.counter(Int(text.prefix(12).dropFirst(6)) ?? -1)
                            ? Int(text.prefix(12).dropFirst(6)) : nil)
                    guard let generation else {
                        mine.torn += 1
                        if mine.samples.count < 3 {
                            mine.samples.append("torn \(file): \(got) bytes, \(text.prefix(26).debugDescription)…\(text.suffix(26).debugDescription)")
                        }
                        continue
                    }
                    if generation < before {
                        mine.stale += 1
                        if mine.samples.count < 3 { mine.samples.append("stale \(file): \(generation) after \(before) was shown") }
                    }
                    if generation < last[file, default: 0] { mine.backwards += 1 }
                    last[file] = generation
                }
                report.withLock { total in
                    total.reads += mine.reads
                    total.torn += mine.torn
                    total.stale += mine.stale
                    total.backwards += mine.backwards
                    total.samples += mine.samples
                }
            }.start()
        }
        group.wait()
        done.store(true, ordering: .releasing)
        while !publisher.isFinished { usleep(1000) }
        return report.withLock { total in
            total.publications = visible.load(ordering: .acquiring)
            return total
        }
    }
}
