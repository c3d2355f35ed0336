import Foundation
import Glibc
import Synchronization
import XCTest

/// Readers against a table that keeps publishing: every read is one whole publication (never
/// torn across two, never cut to another's size), a read(2) after it returns nothing (as cat
/// and stdio read), never older than the last publication that returned before the read began
/// (never stale), and never older than the reader's previous read. A reader held in the middle
/// of a file while a publication lands goes on reading the text it started (seq_file fixes it
/// at the first read). PCPFUSE_STRESS_READS sets the number of reads (default 200,000, about
/// 10 s); scripts/bench-consistency runs 10^6 and more.
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

    /// cat's second read(2) of a file it read whole, after a longer publication: end of file,
    /// not the tail of the new text.
    func testReadAfterTheEndStaysAtTheEndAcrossAPublication() {
        let fd = openOrFail(path("proc/pages"), O_RDONLY)
        let first = readOnce(fd)
        XCTAssertEqual(String(decoding: first, as: UTF8.self), StubTable.pages(1))
        XCTAssertGreaterThan(StubTable.pages(2).utf8.count, first.count, "the next publication is longer")
        let published = publishWhileHeld(fd)
        XCTAssertEqual(readOnce(fd), [], "end of file, as procfs gives")
        close(fd)
        published.wait()
    }

    /// A reader of 100-byte chunks (stdio reads procfs 1 KiB at a time) across a publication:
    /// every chunk comes from the publication it started with.
    func testSmallReadsAcrossAPublicationStayInOnePublication() {
        let fd = openOrFail(path("proc/pages"), O_RDONLY)
        var text = readOnce(fd, 100)
        let published = publishWhileHeld(fd)
        while case let chunk = readOnce(fd, 100), !chunk.isEmpty {
            text += chunk
        }
        XCTAssertEqual(StubTable.generation(ofPages: String(decoding: text, as: UTF8.self)), 1)
        close(fd)
        published.wait()
    }

    /// Publishes on another thread while `fd` stays open in the middle of its text, and returns
    /// once a fresh open shows the new publication (the old one is kept for the held reader
    /// until it closes: the grace is lengthened so that no timing decides the outcome).
    private func publishWhileHeld(_ fd: Int32) -> DispatchSemaphore {
        server.retiredGraceMicroseconds = 60_000_000
        let done = DispatchSemaphore(value: 0)
        let table = table!
        Thread {
            table.publish()
            done.signal()
        }.start()
        var fresh = 0
        for _ in 0..<10_000 where fresh != 2 {
            fresh = StubTable.generation(ofPages: contents(path("proc/pages"))) ?? 0
            if fresh != 2 { usleep(1000) }
        }
        XCTAssertEqual(fresh, 2, "a fresh open shows the new publication while the old is held")
        return done
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
                    var rest = [UInt8](repeating: 0, count: 4096)
                    let after = got > 0 ? read(fd, &rest, rest.count) : 0
                    close(fd)
                    if after != 0 {
                        mine.torn += 1
                        if mine.samples.count < 3 { mine.samples.append("\(file): \(after) bytes after \(got), the whole file") }
                        continue
                    }
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
