import Foundation
import Glibc
import XCTest

/// Each operation on the mount next to the same operation on the real file or directory it
/// imitates, as root: the same result (0 or the errno). Every operation here leaves the real
/// files unchanged (it fails, or truncates or "chmods" to what is already there). Where the
/// mount deliberately differs (st_size, SEEK_END, O_DIRECT and mmap of page-cached files,
/// rmdir of a directory that is a mount), the test says so and checks the difference.
final class ErrnoTests: FuseTestCase {
    /// Mount path and real counterpart.
    private var file: (String, String) { (path("proc/buddyinfo"), "/proc/buddyinfo") }
    private var sysctl: (String, String) { (path("proc/sys/vm/knob"), "/proc/sys/vm/min_free_kbytes") }
    private var writeOnly: (String, String) { (path("proc/sys/vm/trigger"), "/proc/sys/vm/compact_memory") }
    private var sysfsFile: (String, String) { (path("sys/kernel/mm/flag"), "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size") }
    private var procDirectory: (String, String) { (path("proc"), "/proc") }
    private var sysctlDirectory: (String, String) { (path("proc/sys/vm"), "/proc/sys/vm") }
    private var sysfsDirectory: (String, String) { (path("sys/kernel/mm"), "/sys/kernel/mm") }

    override func setUpWithError() throws {
        try super.setUpWithError()
        for real in ["/proc/buddyinfo", "/proc/sys/vm/min_free_kbytes", "/proc/sys/vm/compact_memory",
                     "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"] {
            try XCTSkipUnless(access(real, F_OK) == 0, "\(real) is missing on this kernel")
        }
    }

    /// Runs `operation` on the mount's and the real path and checks they end alike.
    private func same(_ paths: (String, String), _ what: String, file: StaticString = #filePath, line: UInt = #line,
                      _ operation: (String) -> Int) {
        XCTAssertEqual(outcome(paths.0, operation), outcome(paths.1, operation), what, file: file, line: line)
    }

    private func outcome(_ path: String, _ operation: (String) -> Int) -> String {
        errno = 0
        let result = operation(path)
        return result < 0 ? String(cString: strerror(errno)) : "ok"
    }

    /// `operation` on a descriptor of `path` opened with `flags`.
    private func onDescriptor(_ flags: Int32, _ operation: @escaping (Int32) -> Int) -> (String) -> Int {
        { path in
            let fd = open(path, flags)
            guard fd >= 0 else { return -1 }
            defer { close(fd) }
            return operation(fd)
        }
    }

    func testMkdir() {
        for directory in [procDirectory, sysctlDirectory, sysfsDirectory] {
            same(directory, "mkdir in \(directory.1)") { Int(mkdir($0 + "/pcpsim-new", 0o755)) }
        }
        same(procDirectory, "mkdir of an existing name") { Int(mkdir($0 + "/sys", 0o755)) }
    }

    func testCreate() {
        for directory in [procDirectory, sysctlDirectory, sysfsDirectory] {
            same(directory, "O_CREAT of a new name in \(directory.1)") { Int(open($0 + "/pcpsim-new", O_CREAT | O_WRONLY, 0o644)) }
        }
        same(sysctl, "O_CREAT|O_EXCL of an existing file") { Int(open($0, O_CREAT | O_EXCL | O_WRONLY, 0o644)) }
    }

    func testMknodSymlinkAndLink() {
        for directory in [procDirectory, sysctlDirectory, sysfsDirectory] {
            same(directory, "mknod in \(directory.1)") { Int(mknod($0 + "/pcpsim-new", S_IFIFO | 0o644, 0)) }
            same(directory, "symlink in \(directory.1)") { Int(symlink("/tmp", $0 + "/pcpsim-new")) }
        }
        same(file, "link beside /proc/buddyinfo") { Int(link($0, ($0 as NSString).deletingLastPathComponent + "/pcpsim-new")) }
        same(sysctl, "link beside a sysctl") { Int(link($0, ($0 as NSString).deletingLastPathComponent + "/pcpsim-new")) }
    }

    func testUnlinkAndRmdir() {
        for target in [file, sysctl, sysfsFile] {
            same(target, "unlink \(target.1)") { Int(unlink($0)) }
        }
        same((path("proc/sys"), "/proc/sys"), "rmdir /proc/sys") { Int(rmdir($0)) }
        same((path("sys/kernel/mm"), "/sys/kernel/mm"), "rmdir /sys/kernel/mm") { Int(rmdir($0)) }
        // proc/sys/vm is a mount of its own here (its sysctls are served with direct I/O), and
        // the VFS refuses to remove a mount point before asking the filesystem.
        XCTAssertEqual(outcome(sysctlDirectory.1) { Int(rmdir($0)) }, String(cString: strerror(EACCES)))
        XCTAssertEqual(outcome(sysctlDirectory.0) { Int(rmdir($0)) }, String(cString: strerror(EBUSY)))
    }

    func testRename() {
        for target in [file, sysctl, sysfsFile] {
            same(target, "rename \(target.1)") { Int(rename($0, $0 + "-renamed")) }
        }
    }

    /// The xattr calls, from libc at run time: Swift's Glibc module does not declare them.
    private typealias SetXattr = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeRawPointer?, Int, Int32) -> Int32
    private typealias GetXattr = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int
    private typealias ListXattr = @convention(c) (UnsafePointer<CChar>, UnsafeMutablePointer<CChar>?, Int) -> Int
    private typealias RemoveXattr = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>) -> Int32
    private func libc<T>(_ name: String, as: T.Type) -> T {
        unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), name)!, to: T.self) // RTLD_DEFAULT
    }

    func testExtendedAttributes() {
        let setxattr = libc("setxattr", as: SetXattr.self), getxattr = libc("getxattr", as: GetXattr.self)
        let listxattr = libc("listxattr", as: ListXattr.self), removexattr = libc("removexattr", as: RemoveXattr.self)
        for target in [file, sysctl, sysfsFile] {
            same(target, "setxattr \(target.1)") { Int(setxattr($0, "user.pcpsim", "1", 1, 0)) }
            same(target, "removexattr \(target.1)") { Int(removexattr($0, "user.pcpsim")) }
            same(target, "listxattr \(target.1)") { Int(listxattr($0, nil, 0)) }
        }
        for target in [file, sysctl, sysfsFile, procDirectory] {
            var buffer = [CChar](repeating: 0, count: 64)
            same(target, "getxattr \(target.1)") { Int(getxattr($0, "user.pcpsim", &buffer, buffer.count)) }
        }
        XCTAssertEqual(listxattr(file.0, nil, 0), 0, "no names")
    }

    func testOpenModes() {
        same(writeOnly, "O_RDONLY of a 0200 sysctl, even as root") { Int(open($0, O_RDONLY)) }
        same(file, "O_WRONLY of a 0444 procfs file as root") { Int(open($0, O_WRONLY)) }
        same(file, "O_WRONLY|O_TRUNC of a 0444 procfs file as root") { Int(open($0, O_WRONLY | O_TRUNC)) }
        same(procDirectory, "O_WRONLY of a directory") { Int(open($0, O_WRONLY)) }
        same(file, "write to a procfs file without a write method") { path in
            let fd = open(path, O_WRONLY)
            guard fd >= 0 else { return -1 }
            defer { close(fd) }
            return write(fd, "1\n", 2)
        }
    }

    /// procfs refuses O_DIRECT at open. A page-cached file is opened by the kernel without
    /// asking the server, so here the first read refuses it, with the same errno.
    func testODirect() {
        same(sysctl, "O_DIRECT open of a sysctl") { Int(open($0, O_RDONLY | 0o40000)) }
        let openThenRead: (String) -> Int = { path in
            let fd = open(path, O_RDONLY | 0o40000)
            guard fd >= 0 else { return -1 }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 4096)
            return buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
        }
        same(file, "O_DIRECT open and read of a procfs file", openThenRead)
        XCTAssertGreaterThanOrEqual(open(file.0, O_RDONLY | 0o40000), 0, "here the open itself succeeds")
    }

    func testFsyncAndFdatasync() {
        for target in [file, sysctl, procDirectory] {
            same(target, "fsync \(target.1)", onDescriptor(O_RDONLY) { Int(fsync($0)) })
            same(target, "fdatasync \(target.1)", onDescriptor(O_RDONLY) { Int(fdatasync($0)) })
        }
    }

    func testLseek() {
        for target in [file, sysctl] {
            same(target, "SEEK_DATA \(target.1)", onDescriptor(O_RDONLY) { Int(lseek($0, 0, 3)) })
            same(target, "SEEK_HOLE \(target.1)", onDescriptor(O_RDONLY) { Int(lseek($0, 0, 4)) })
            same(target, "SEEK_SET -1 \(target.1)", onDescriptor(O_RDONLY) { Int(lseek($0, -1, SEEK_SET)) })
            same(target, "SEEK_SET far \(target.1)", onDescriptor(O_RDONLY) { Int(lseek($0, 1_000_000, SEEK_SET)) })
        }
        same(sysctl, "SEEK_END of a sysctl", onDescriptor(O_RDONLY) { Int(lseek($0, 0, SEEK_END)) })
        same(procDirectory, "SEEK_END of a directory", onDescriptor(O_RDONLY) { Int(lseek($0, 0, SEEK_END)) })
        // procfs refuses SEEK_END on a seq file; a page-cached file has its real size, so the
        // kernel answers it without the server.
        XCTAssertEqual(outcome(file.1, onDescriptor(O_RDONLY) { Int(lseek($0, 0, SEEK_END)) }), String(cString: strerror(EINVAL)))
        XCTAssertEqual(onDescriptor(O_RDONLY) { Int(lseek($0, 0, SEEK_END)) }(file.0), 300)
    }

    func testTruncate() {
        for target in [file, sysctl, sysfsFile] {
            same(target, "truncate \(target.1)") { Int(truncate($0, 0)) }
        }
        same(procDirectory, "truncate a directory") { Int(truncate($0, 0)) }
        same(file, "ftruncate of a read-only descriptor", onDescriptor(O_RDONLY) { Int(ftruncate($0, 0)) })
        same(sysctl, "ftruncate of a sysctl opened for writing", onDescriptor(O_RDWR) { Int(ftruncate($0, 0)) })
    }

    func testChmodChownAndUtimes() {
        same(file, "chmod of a procfs file to its own mode") { Int(chmod($0, 0o444)) }
        same(sysctl, "chmod of a sysctl to its own mode") { Int(chmod($0, 0o644)) }
        same(file, "chown of a procfs file to its owner") { Int(chown($0, getuid(), getgid())) }
        same(sysctl, "chown of a sysctl to its owner") { Int(chown($0, getuid(), getgid())) }
        for target in [file, sysctl, sysctlDirectory] {
            same(target, "utimes \(target.1)") { Int(utimes($0, nil)) }
        }
    }

    func testStatfsAndStat() {
        for target in [file, sysfsFile] {
            var ours = statvfs(), real = statvfs()
            XCTAssertEqual(statvfs(target.0, &ours), 0)
            XCTAssertEqual(statvfs(target.1, &real), 0)
            XCTAssertEqual([ours.f_bsize, ours.f_frsize, ours.f_blocks, ours.f_bfree, ours.f_files, ours.f_namemax],
                           [real.f_bsize, real.f_frsize, real.f_blocks, real.f_bfree, real.f_files, real.f_namemax], target.1)
        }
        for target in [file, sysctl, sysfsFile, procDirectory, sysctlDirectory] {
            var ours = stat(), real = stat()
            XCTAssertEqual(stat(target.0, &ours), 0)
            XCTAssertEqual(stat(target.1, &real), 0)
            XCTAssertEqual(ours.st_blksize, real.st_blksize, "st_blksize of \(target.1)")
            XCTAssertEqual(ours.st_mode, real.st_mode, "st_mode of \(target.1)")
            XCTAssertEqual(ours.st_blocks, real.st_blocks, "st_blocks of \(target.1)")
        }
        var ours = stat(), real = stat()
        XCTAssertEqual(stat(sysctlDirectory.0, &ours), 0)
        XCTAssertEqual(stat(sysctlDirectory.1, &real), 0)
        XCTAssertEqual(ours.st_nlink, real.st_nlink, "sysctl directories count no links")
    }

    /// A sysctl's text comes at offset 0 only, cut to the read's size.
    func testSysctlReadOffsets() {
        let firstTwoThenRest: (String) -> Int = { path in
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { return -1 }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 100)
            let first = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 2) }
            let rest = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 100) }
            let far = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 100, 1) }
            return first == 2 && rest == 0 && far == 0 ? 0 : -1
        }
        XCTAssertEqual(firstTwoThenRest(sysctl.1), 0, "the kernel's behaviour")
        XCTAssertEqual(firstTwoThenRest(sysctl.0), 0)
    }

    /// mmap: procfs refuses to map a sysctl at all (ENODEV) and a seq file with EIO. Here a
    /// shared mapping of a sysctl is refused alike, a private one reads the text, and a
    /// page-cached file maps its content; no mapping ever faults.
    func testMmap() {
        let mapShared: (String) -> Int = { path in
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { return -1 }
            defer { close(fd) }
            guard let mapped = mmap(nil, 4096, PROT_READ, MAP_SHARED, fd, 0), mapped != MAP_FAILED else { return -1 }
            munmap(mapped, 4096)
            return 0
        }
        same(sysctl, "shared mmap of a sysctl", mapShared)
        XCTAssertEqual(outcome(file.1, mapShared), String(cString: strerror(EIO)))
        XCTAssertEqual(outcome(file.0, mapShared), "ok")
    }

    /// copy_file_range to another filesystem is refused (EXDEV) before the filesystem is asked,
    /// as from procfs; Python's shutil then falls back to sendfile.
    func testCopyFileRange() throws {
        typealias CopyFileRange = @convention(c) (Int32, UnsafeMutablePointer<off_t>?, Int32, UnsafeMutablePointer<off_t>?, Int, UInt32) -> Int
        let copyFileRange = libc("copy_file_range", as: CopyFileRange.self)
        let target = mountpoint + "-copy"
        same(file, "copy_file_range to /tmp") { path in
            let source = open(path, O_RDONLY), destination = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            defer { close(source); close(destination) }
            return copyFileRange(source, nil, destination, nil, 65536, 0)
        }
    }

    /// sendfile (Python's shutil.copyfile) copies the content, as from procfs.
    func testSendfile() throws {
        XCTAssertEqual(try sendfileCopy(file.0), String(decoding: StubTable.buddyinfo, as: UTF8.self))
        XCTAssertEqual(try sendfileCopy(sysctl.0), "10\n")
        let real = try sendfileCopy(sysctl.1)
        XCTAssertEqual(real, try String(contentsOfFile: sysctl.1, encoding: .utf8), "the kernel copies a sysctl too")
    }
}
