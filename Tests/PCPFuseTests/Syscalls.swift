import Glibc
import XCTest

/// Thin, failing-test-friendly wrappers over the system calls the tests make.

/// Opens `path`, failing the test if that is impossible.
func openOrFail(_ path: String, _ flags: Int32, file: StaticString = #filePath, line: UInt = #line) -> Int32 {
    let fd = open(path, flags)
    XCTAssertGreaterThanOrEqual(fd, 0, "open \(path): \(String(cString: strerror(errno)))", file: file, line: line)
    return fd
}

/// The errno of opening `path` with `flags`, or 0 if it opened.
func openError(_ path: String, _ flags: Int32) -> Int32 {
    let fd = open(path, flags)
    guard fd < 0 else {
        close(fd)
        return 0
    }
    return errno
}

/// One read(2) of up to `count` bytes at the current offset.
func readOnce(_ fd: Int32, _ count: Int = 65536) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: count)
    let got = read(fd, &buffer, count)
    return got < 0 ? [] : Array(buffer[..<got])
}

/// One pread(2) of up to `count` bytes at `offset`.
func preadOnce(_ fd: Int32, _ count: Int, at offset: off_t) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: count)
    let got = pread(fd, &buffer, count, offset)
    return got < 0 ? [] : Array(buffer[..<got])
}

/// open, read to EOF, close, as text.
func contents(_ path: String) -> String {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return "<open: \(String(cString: strerror(errno)))>" }
    defer { close(fd) }
    var text: [UInt8] = []
    while true {
        let chunk = readOnce(fd)
        if chunk.isEmpty { return String(decoding: text, as: UTF8.self) }
        text += chunk
    }
}

/// One write(2) of `text` to a freshly opened `path`; the byte count, or -errno.
func writeOnce(_ path: String, _ text: String) -> Int {
    let fd = open(path, O_WRONLY)
    guard fd >= 0 else { return -Int(errno) }
    defer { close(fd) }
    let written = write(fd, text, text.utf8.count)
    return written < 0 ? -Int(errno) : written
}
