import Glibc
import XCTest

/// Sysctl-like permissions and writes.
final class WriteTests: FuseTestCase {
    func testWriteOnlyKnobCannotBeReadEvenByRoot() {
        XCTAssertEqual(openError(path("proc/sys/vm/trigger"), O_RDONLY), EACCES)
        XCTAssertEqual(openError(path("proc/sys/vm/trigger"), O_RDWR), EACCES)
        XCTAssertEqual(access(path("proc/sys/vm/trigger"), R_OK), -1)
        XCTAssertEqual(access(path("proc/sys/vm/trigger"), W_OK), 0)
    }

    /// As on procfs, root opens a read-only file for writing, and the write fails with EIO.
    func testReadOnlyFilesCannotBeWritten() {
        XCTAssertEqual(writeOnce(path("proc/counter"), "1\n"), -Int(EIO))
        XCTAssertEqual(writeOnce(path("proc/secret"), "x"), -Int(EIO))
        XCTAssertEqual(contents(path("proc/secret")), "secret\n")
        XCTAssertEqual(contents(path("proc/counter")), StubTable.counter(1))
    }

    func testBadWriteIsInvalidAndLeavesValue() {
        XCTAssertEqual(writeOnce(path("proc/sys/vm/knob"), "200\n"), -Int(EINVAL))
        XCTAssertEqual(writeOnce(path("proc/sys/vm/knob"), "abc"), -Int(EINVAL))
        XCTAssertEqual(contents(path("proc/sys/vm/knob")), "10\n")
    }

    func testGoodWriteIsVisibleOnNextRead() {
        XCTAssertEqual(writeOnce(path("proc/sys/vm/knob"), "42\n"), 3)
        XCTAssertEqual(contents(path("proc/sys/vm/knob")), "42\n")
    }

    func testReadWriteDescriptorSeesItsOwnWrite() {
        let fd = openOrFail(path("proc/sys/vm/knob"), O_RDWR)
        defer { close(fd) }
        XCTAssertEqual(pwrite(fd, "7", 1, 0), 1)
        XCTAssertEqual(String(decoding: preadOnce(fd, 100, at: 0), as: UTF8.self), "7\n")
    }

    func testWriteOnlyKnobAcceptsOnlyOne() {
        XCTAssertEqual(writeOnce(path("proc/sys/vm/trigger"), "2"), -Int(EINVAL))
        XCTAssertEqual(writeOnce(path("proc/sys/vm/trigger"), "1\n"), 2)
        XCTAssertEqual(table.state.withLock { $0.triggers }, 1)
    }

    /// Writes at an offset reach the table with it; by default they are taken and ignored, as
    /// sysctl_writes_strict = 1 ignores them.
    func testWriteAtOffsetIsIgnored() {
        let fd = openOrFail(path("proc/sys/vm/knob"), O_WRONLY)
        defer { close(fd) }
        XCTAssertEqual(pwrite(fd, "55", 2, 3), 2)
        XCTAssertEqual(contents(path("proc/sys/vm/knob")), "10\n")
    }

    func testShellRedirectionWrites() throws {
        XCTAssertEqual(try runTool(["sh", "-c", "echo 5 > \(path("proc/sys/vm/knob"))"]).status, 0)
        XCTAssertEqual(contents(path("proc/sys/vm/knob")), "5\n")
        XCTAssertNotEqual(try runTool(["sh", "-c", "echo 500 > \(path("proc/sys/vm/knob")) 2>/dev/null"]).status, 0)
        XCTAssertEqual(contents(path("proc/sys/vm/knob")), "5\n")
    }

    /// Root may truncate a sysctl or a procfs file, as on procfs; nothing changes. A write-only
    /// sysctl still refuses what its mode refuses (0200: root gets no read).
    func testTruncateChangesNothing() {
        XCTAssertEqual(truncate(path("proc/sys/vm/knob"), 0), 0)
        XCTAssertEqual(contents(path("proc/sys/vm/knob")), "10\n", "truncation changes nothing")
        XCTAssertEqual(truncate(path("proc/counter"), 0), 0)
        XCTAssertEqual(contents(path("proc/counter")), StubTable.counter(1))
    }

    func testNewFilesCannotBeCreated() {
        XCTAssertEqual(openError(path("proc/sys/vm/typo"), O_WRONLY | O_CREAT), ENOENT)
        XCTAssertEqual(openError(path("proc/typo"), O_WRONLY | O_CREAT), ENOENT)
    }

    /// A knob write that changes what snapshot files show (the table publishes while the
    /// write is served) is visible in them on the next read.
    func testWriteIsVisibleInSnapshotsOnNextRead() {
        XCTAssertEqual(contents(path("proc/counter")), StubTable.counter(1))
        XCTAssertEqual(contents(path("proc/pages")), StubTable.pages(1))
        XCTAssertEqual(writeOnce(path("proc/sys/vm/trigger"), "1"), 1)
        XCTAssertEqual(contents(path("proc/counter")), StubTable.counter(2))
        XCTAssertEqual(contents(path("proc/pages")), StubTable.pages(2))
    }

    func testModeAndOwnerCannotChange() {
        XCTAssertEqual(chmod(path("proc/sys/vm/knob"), 0o666), -1)
        XCTAssertEqual(errno, EPERM)
        XCTAssertEqual(chown(path("proc/sys/vm/knob"), 1, 1), -1)
        XCTAssertEqual(errno, EPERM)
    }
}
