import Glibc
import XCTest

/// procfs read semantics: per-open snapshots, regenerated at offset 0, whole files in one read.
final class ReadTests: FuseTestCase {
    func testFreshPreadAtOffsetReturnsData() {
        let fd = openOrFail(path("proc/counter"), O_RDONLY)
        defer { close(fd) }
        XCTAssertEqual(String(decoding: preadOnce(fd, 13, at: 13), as: UTF8.self), "count 000001\n")
    }

    func testOpenAloneGeneratesNothing() {
        let fd = openOrFail(path("proc/counter"), O_RDONLY)
        close(fd)
        XCTAssertEqual(table.state.withLock { $0.generations }, 0)
    }

    func testSeekToZeroAndReadRegenerates() {
        let fd = openOrFail(path("proc/counter"), O_RDONLY)
        defer { close(fd) }
        XCTAssertEqual(String(decoding: readOnce(fd), as: UTF8.self), StubTable.counter(1))
        XCTAssertEqual(lseek(fd, 0, SEEK_SET), 0)
        XCTAssertEqual(String(decoding: readOnce(fd), as: UTF8.self), StubTable.counter(2))
    }

    func testChunkedReadsShareOneSnapshot() {
        let fd = openOrFail(path("proc/counter"), O_RDONLY)
        defer { close(fd) }
        var text = readOnce(fd, 7)
        while case let chunk = readOnce(fd, 50), !chunk.isEmpty {
            text += chunk
        }
        XCTAssertEqual(String(decoding: text, as: UTF8.self), StubTable.counter(1))
        XCTAssertEqual(table.state.withLock { $0.generations }, 1)
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

    func testCatPrintsFile() throws {
        let result = try runTool(["cat", path("proc/sys/vm/knob"), path("sys/kernel/mm/flag")])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.output, "10\n1\n")
    }

    func testAttributesLookLikeProcfs() {
        var status = stat()
        XCTAssertEqual(stat(path("proc/sys/vm/knob"), &status), 0)
        XCTAssertEqual(status.st_mode, S_IFREG | 0o644)
        XCTAssertEqual(status.st_size, 0)
        XCTAssertEqual(status.st_uid, getuid())
        XCTAssertEqual(status.st_gid, getgid())
        XCTAssertEqual(stat(path("proc/sys"), &status), 0)
        XCTAssertEqual(status.st_mode, S_IFDIR | 0o555)
        XCTAssertEqual(status.st_nlink, 3)
    }
}
