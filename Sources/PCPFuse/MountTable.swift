import Glibc

/// The file system type ("fuse.pcpsim", "proc", ...) of the topmost mount at the absolute
/// `path` in this process's /proc/self/mountinfo, or nil if nothing is mounted there.
func mountedFileSystemType(at path: String) -> String? {
    var type: String?
    for line in readWholeFile("/proc/self/mountinfo").split(separator: UInt8(ascii: "\n")) {
        // "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw" (see proc(5))
        let fields = line.split(separator: UInt8(ascii: " "))
        guard fields.count > 6, let separator = fields.firstIndex(of: [UInt8(ascii: "-")]),
              separator + 1 < fields.count, unescapeMountField(fields[4]) == path
        else { continue }
        type = String(decoding: fields[separator + 1], as: UTF8.self) // later lines are mounted on top
    }
    return type
}

/// mountinfo writes space, tab, newline and backslash in paths as octal escapes like "\040".
private func unescapeMountField(_ field: ArraySlice<UInt8>) -> String {
    var bytes: [UInt8] = []
    var index = field.startIndex
    while index < field.endIndex {
        let digits = field[(index + 1)...].prefix(3)
        if field[index] == UInt8(ascii: "\\"), digits.count == 3,
           let value = UInt8(String(decoding: digits, as: UTF8.self), radix: 8) {
            bytes.append(value)
            index += 4
        } else {
            bytes.append(field[index])
            index += 1
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The whole content of a (proc) file, or nothing if it cannot be read.
private func readWholeFile(_ path: String) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return [] }
    defer { close(fd) }
    var content: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { return content }
        content += chunk[..<count]
    }
}
