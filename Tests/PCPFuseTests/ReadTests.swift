import Glibc
import XCTest

/// Snapshot files, read from the kernel's page cache: the content of the latest publication,
/// whole in one read, at any offset, through mmap and sendfile, with its real size.
final class SnapshotReadTests: FuseTestCase {
    func testFreshPreadAtOffsetReturnsData() {
        let fd = openOrFail(path("proc/counter"), O_RDONLY)
        defer { close(fd) }
        XCTAssertEqual(String(decoding: preadOnce(fd, 13, at: 13), as: UTF8.self), "count 000001\n")
    }

    func testContentChangesOnlyWhenTheTablePublishes() {
        XCTAssertEqual(contents(path("proc/counter")), StubTable.counter(1))
        XCTAssertEqual(contents(path("proc/counter")), StubTable.counter(1), "no publication, same text")
        table.publish()
        XCTAssertEqual(contents(path("proc/counter")), StubTable.counter(2), "the next read after a publication")
    }

    /// procps keeps /proc/vmstat open and does lseek(0) + one read per interval.
    func testKeptDescriptorSeesEachPublication() {
        let fd = openOrFail(path("proc/pages"), O_RDONLY)
        defer { close(fd) }
        for generation in 1...5 {
            XCTAssertEqual(lseek(fd, 0, SEEK_SET), 0)
            XCTAssertEqual(String(decoding: readOnce(fd), as: UTF8.self), StubTable.pages(generation))
            table.publish()
        }
    }

    func testSmallReadsOfOnePublicationFitTogether() {
        let fd = openOrFail(path("proc/pages"), O_RDONLY)
        defer { close(fd) }
        var text: [UInt8] = []
        while case let chunk = readOnce(fd, 100), !chunk.isEmpty {
            text += chunk
        }
        XCTAssertEqual(String(decoding: text, as: UTF8.self), StubTable.pages(1))
    }

    func testOneReadReturnsWholeFile() {
        let fd = openOrFail(path("proc/big"), O_RDONLY)
        defer { close(fd) }
        XCTAssertEqual(readOnce(fd, 65536), StubTable.big)
        XCTAssertEqual(readOnce(fd, 65536), [], "then end of file")
    }

    func testReadBeyondEndIsEmpty() {
        let fd = openOrFail(path("proc/counter"), O_RDONLY)
        defer { close(fd) }
        XCTAssertEqual(preadOnce(fd, 10, at: 100_000), [])
    }

    func testSizeIsTheContentsSize() {
        var status = stat()
        XCTAssertEqual(stat(path("proc/pages"), &status), 0)
        XCTAssertEqual(Int(status.st_size), StubTable.pages(1).utf8.count)
        table.publish()
        XCTAssertEqual(stat(path("proc/pages"), &status), 0)
        XCTAssertEqual(Int(status.st_size), StubTable.pages(2).utf8.count, "the size follows the content")
    }

    func testMmapReadsTheContent() {
        let fd = openOrFail(path("proc/pages"), O_RDONLY)
        defer { close(fd) }
        let size = StubTable.pages(1).utf8.count
        let mapped = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0)
        XCTAssertNotEqual(mapped, MAP_FAILED)
        guard let mapped, mapped != MAP_FAILED else { return }
        defer { munmap(mapped, size) }
        let text = String(decoding: UnsafeRawBufferPointer(start: mapped, count: size), as: UTF8.self)
        XCTAssertEqual(text, StubTable.pages(1))
    }

    func testSendfileCopiesTheContent() throws {
        XCTAssertEqual(try sendfileCopy(path("proc/pages")), StubTable.pages(1))
        let copy = try runTool(["python3", "-c", "import shutil, sys; shutil.copyfile(sys.argv[1], sys.argv[2]); print(open(sys.argv[2]).read(), end='')",
                                path("proc/counter"), mountpoint + "-copy"])
        XCTAssertEqual(copy.output, StubTable.counter(1), "Python's shutil.copyfile (sendfile)")
    }

    /// Python sizes its buffer from st_size and reads to end of file.
    func testPythonReadsWholeFile() throws {
        let read = "import sys; sys.stdout.write(open(sys.argv[1]).read())"
        XCTAssertEqual(try runTool(["python3", "-c", read, path("proc/pages")]).output, StubTable.pages(1))
        table.publish()
        XCTAssertEqual(try runTool(["python3", "-c", read, path("proc/pages")]).output, StubTable.pages(2))
    }

    func testCatPrintsFile() throws {
        let result = try runTool(["cat", path("proc/sys/vm/knob"), path("sys/kernel/mm/flag")])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.output, "10\n1\n")
    }
}

/// Files whose reads reach the table: a sysctl gives its text at offset 0 only; a live file
/// keeps one text per open, made at the first read and at each read at offset 0.
final class DirectReadTests: FuseTestCase {
    func testSysctlTextOnlyAtOffsetZero() {
        let fd = openOrFail(path("proc/sys/vm/knob"), O_RDONLY)
        defer { close(fd) }
        XCTAssertEqual(readOnce(fd, 1), [UInt8(ascii: "1")], "cut to the read's size")
        XCTAssertEqual(readOnce(fd, 100), [], "nothing after the first read")
        XCTAssertEqual(preadOnce(fd, 100, at: 1), [], "nor at any other offset")
        XCTAssertEqual(preadOnce(fd, 100, at: 0), Array("10\n".utf8))
    }

    func testLiveFileOpenAloneGeneratesNothing() {
        let fd = openOrFail(path("sys/kernel/debug/stub/live"), O_RDONLY)
        close(fd)
        XCTAssertEqual(table.state.withLock { $0.liveRenders }, 0)
    }

    func testLiveFileFreshPreadAtOffsetReturnsData() {
        let fd = openOrFail(path("sys/kernel/debug/stub/live"), O_RDONLY)
        defer { close(fd) }
        XCTAssertEqual(String(decoding: preadOnce(fd, 13, at: 13), as: UTF8.self), "count 000001\n")
    }

    func testLiveFileSeekToZeroAndReadRegenerates() {
        let fd = openOrFail(path("sys/kernel/debug/stub/live"), O_RDONLY)
        defer { close(fd) }
        XCTAssertEqual(String(decoding: readOnce(fd), as: UTF8.self), StubTable.counter(1))
        XCTAssertEqual(lseek(fd, 0, SEEK_SET), 0)
        XCTAssertEqual(String(decoding: readOnce(fd), as: UTF8.self), StubTable.counter(2))
    }

    func testLiveFileChunkedReadsShareOneSnapshot() {
        let fd = openOrFail(path("sys/kernel/debug/stub/live"), O_RDONLY)
        defer { close(fd) }
        var text = readOnce(fd, 7)
        while case let chunk = readOnce(fd, 50), !chunk.isEmpty {
            text += chunk
        }
        XCTAssertEqual(String(decoding: text, as: UTF8.self), StubTable.counter(1))
        XCTAssertEqual(table.state.withLock { $0.liveRenders }, 1)
    }

    /// A private mapping reads the text; a shared one is refused with ENODEV, as procfs refuses
    /// any mapping of a sysctl (never SIGBUS on the first access).
    func testSysctlMmap() {
        let fd = openOrFail(path("proc/sys/vm/knob"), O_RDONLY)
        defer { close(fd) }
        let mapped = mmap(nil, 4096, PROT_READ, MAP_PRIVATE, fd, 0)
        XCTAssertNotEqual(mapped, MAP_FAILED)
        if let mapped, mapped != MAP_FAILED {
            XCTAssertEqual(String(cString: mapped.assumingMemoryBound(to: CChar.self)), "10\n")
            munmap(mapped, 4096)
        }
        XCTAssertEqual(mmap(nil, 4096, PROT_READ, MAP_SHARED, fd, 0), MAP_FAILED)
        XCTAssertEqual(errno, ENODEV)
    }

    func testSendfileCopiesASysctl() throws {
        XCTAssertEqual(try sendfileCopy(path("proc/sys/vm/knob")), "10\n")
        XCTAssertEqual(writeOnce(path("proc/sys/vm/knob"), "42"), 2)
        XCTAssertEqual(try sendfileCopy(path("proc/sys/vm/knob")), "42\n", "a new open reads afresh")
    }

    func testAttributesLookLikeProcfs() {
        var status = stat()
        XCTAssertEqual(stat(path("proc/sys/vm/knob"), &status), 0)
        XCTAssertEqual(status.st_mode, S_IFREG | 0o644)
        XCTAssertEqual(status.st_uid, getuid())
        XCTAssertEqual(status.st_gid, getgid())
        XCTAssertEqual(status.st_blksize, 1024)
        XCTAssertEqual(stat(path("proc/sys"), &status), 0)
        XCTAssertEqual(status.st_mode, S_IFDIR | 0o555)
        XCTAssertEqual(status.st_nlink, 1, "sysctl directories say 1")
        XCTAssertEqual(stat(path("sys/kernel"), &status), 0)
        XCTAssertEqual(status.st_nlink, 4, "2 + subdirectories elsewhere")
    }
}

/// A copy of `file` made with sendfile(2), as Python's shutil.copyfile makes it.
func sendfileCopy(_ file: String) throws -> String {
    let source = open(file, O_RDONLY)
    guard source >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno)!) }
    defer { close(source) }
    var pipeFDs: [Int32] = [-1, -1]
    guard pipe(&pipeFDs) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno)!) }
    defer { close(pipeFDs[0]); close(pipeFDs[1]) }
    var copied: [UInt8] = []
    while true {
        let moved = sendfile(pipeFDs[1], source, nil, 65536)
        guard moved > 0 else { break }
        copied += readOnce(pipeFDs[0], moved)
    }
    return String(decoding: copied, as: UTF8.self)
}

/// A read that takes long (pcpsim's invariant check holds the machine for up to 30 ms) holds
/// only itself: snapshot files, sysctls, publications and the files beside it go on meanwhile.
final class SlowReadTests: FuseTestCase {
    func testSlowReadDoesNotHoldOtherReaders() {
        table.holdSlow.store(true, ordering: .releasing)
        let finished = DispatchSemaphore(value: 0)
        let slowPath = path("sys/kernel/debug/stub/slow")
        Thread {
            _ = contents(slowPath)
            finished.signal()
        }.start()
        XCTAssertEqual(table.slowStarted.wait(timeout: .now() + 5), .success, "the slow read began")
        XCTAssertEqual(contents(path("proc/counter")), StubTable.counter(1))
        XCTAssertEqual(contents(path("proc/sys/vm/knob")), "10\n")
        XCTAssertEqual(contents(path("sys/kernel/debug/stub/live")), StubTable.counter(1), "the file beside it, on the same session")
        XCTAssertEqual(writeOnce(path("proc/sys/vm/trigger"), "1"), 1, "a write that publishes")
        XCTAssertEqual(contents(path("proc/counter")), StubTable.counter(2))
        XCTAssertEqual(finished.wait(timeout: .now()), .timedOut, "all while the slow read waits")
        table.releaseSlow.signal()
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success)
    }
}
