import Foundation
import Glibc
import XCTest

/// What a client can send that once killed the server, or might: each is answered with data or
/// an errno, and the server keeps serving afterwards.
final class HostileClientTests: FuseTestCase {
    override func tearDown() {
        XCTAssertEqual(contents(path("proc/counter")), StubTable.counter(1), "still serving")
        XCTAssertEqual(contents(path("proc/sys/vm/knob")), "10\n", "still serving")
        super.tearDown()
    }

    /// lseek on a directory past its end, then getdents (a range error in the old readdir).
    func testReaddirAfterSeekingPastTheEnd() throws {
        for directory in ["", "proc", "proc/sys/vm", "sys/kernel/debug/stub"] {
            for offset in [8, 100, 1_000_000, Int.max - 1] {
                guard let stream = opendir(path(directory)) else {
                    XCTFail("opendir \(directory)")
                    continue
                }
                seekdir(stream, offset)
                errno = 0
                XCTAssertNil(readdir(stream), "nothing past the end of \(directory) at \(offset)")
                XCTAssertEqual(errno, 0)
                closedir(stream)
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("proc/sys/vm")).sorted(), ["knob", "trigger"])
    }

    func testReadsAtAnyOffset() {
        for file in ["proc/counter", "proc/pages", "proc/sys/vm/knob", "sys/kernel/debug/stub/live"] {
            let fd = openOrFail(path(file), O_RDONLY)
            for offset: off_t in [1 << 20, 1 << 40, off_t.max - 100] {
                var buffer = [UInt8](repeating: 0, count: 64)
                XCTAssertEqual(pread(fd, &buffer, buffer.count, offset), 0, "\(file) at \(offset)")
            }
            for offset: off_t in [-1, off_t.max - 1] { // refused before the filesystem, as on procfs
                var buffer = [UInt8](repeating: 0, count: 64)
                XCTAssertEqual(pread(fd, &buffer, buffer.count, offset), -1)
                XCTAssertEqual(errno, EINVAL)
            }
            close(fd)
        }
    }

    func testWritesAtAnyOffsetAndOfAnySize() {
        let fd = openOrFail(path("proc/sys/vm/knob"), O_WRONLY)
        defer { close(fd) }
        XCTAssertEqual(pwrite(fd, "5", 1, off_t.max - 100), 1, "ignored, as the kernel ignores writes past offset 0")
        XCTAssertEqual(pwrite(fd, "", 0, 0), 0)
        let huge = [UInt8](repeating: UInt8(ascii: "7"), count: 1 << 20)
        XCTAssertEqual(pwrite(fd, huge, huge.count, 0), -1, "refused by the table")
        XCTAssertEqual(errno, EINVAL)
    }

    func testDirectoryAndFileConfusion() {
        XCTAssertEqual(openError(path("proc/counter"), O_RDONLY | O_DIRECTORY), ENOTDIR)
        let directory = openOrFail(path("proc"), O_RDONLY)
        defer { close(directory) }
        var buffer = [UInt8](repeating: 0, count: 16)
        XCTAssertEqual(read(directory, &buffer, 16), -1)
        XCTAssertEqual(errno, EISDIR)
        XCTAssertEqual(openError(path("proc/counter/x"), O_RDONLY), ENOTDIR)
        XCTAssertEqual(openError(path("proc/sys/vm/knob/x"), O_RDONLY), ENOTDIR)
    }

    func testManyOpenDescriptors() {
        let fds = (0..<500).map { _ in open(path("proc/sys/vm/knob"), O_RDONLY) }
        XCTAssertTrue(fds.allSatisfy { $0 >= 0 })
        var buffer = [UInt8](repeating: 0, count: 16)
        XCTAssertEqual(fds.map { read($0, &buffer, 16) }, Array(repeating: 3, count: 500))
        fds.forEach { close($0) }
    }
}
