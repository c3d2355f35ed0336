import Foundation
import Glibc
import PCPFuse
import XCTest

/// The tree, mounting, stopping and recovering from a dead server.
final class LifecycleTests: FuseTestCase {
    func testReaddirListsTree() throws {
        let files = FileManager.default
        XCTAssertEqual(try files.contentsOfDirectory(atPath: mountpoint).sorted(), ["proc", "sys"])
        XCTAssertEqual(try files.contentsOfDirectory(atPath: path("proc")).sorted(), ["big", "buddyinfo", "counter", "pages", "secret", "sys"])
        XCTAssertEqual(try files.contentsOfDirectory(atPath: path("proc/sys/vm")).sorted(), ["knob", "trigger"])
        XCTAssertEqual(try runTool(["ls", "-a", path("sys/kernel/mm")]).output, ".\n..\nflag\n")
        XCTAssertEqual(try files.contentsOfDirectory(atPath: path("sys/kernel/debug/stub")).sorted(), ["live", "slow"])
    }

    func testMissingNamesAreNotFound() {
        XCTAssertEqual(openError(path("proc/nothing"), O_RDONLY), ENOENT)
        XCTAssertEqual(openError(path("proc/counter/x"), O_RDONLY), ENOTDIR)
    }

    func testStopUnmounts() {
        XCTAssertTrue(isMounted(mountpoint))
        stopServer() // asserts that run() returned and the mount is gone
    }

    func testStopsRightAfterStartingAlwaysReturn() throws {
        let path = mountpoint
        for _ in 0..<30 {
            stopServer()
            try mount(at: path)
        }
    }

    func testStopBeforeRunMakesRunReturn() throws {
        let early = try FuseServer(table: table, mountpoint: mountpoint + "-early")
        early.stop()
        try early.run()
        XCTAssertFalse(isMounted(early.mountpoint))
        XCTAssertThrowsError(try early.run(), "run() works once")
    }

    func testTerminationSignalUnmounts() {
        XCTAssertEqual(contents(path("sys/kernel/mm/flag")), "1\n")
        var action = sigaction()
        while sigaction(SIGTERM, nil, &action) == 0 && action.__sigaction_handler.sa_handler == nil {
            usleep(1000) // the mount serves from init on; run() installs its handlers when it starts
        }
        kill(getpid(), SIGTERM) // lands on some thread of this process, rarely a loop's
        XCTAssertTrue(waitForRunToReturn())
        XCTAssertFalse(isMounted(mountpoint))
    }

    /// The direct files' directories are mounts inside the mount, so it comes off lazily.
    func testExternalUnmountEndsRun() {
        XCTAssertEqual(umount2(mountpoint, Int32(MNT_DETACH)), 0)
        XCTAssertTrue(waitForRunToReturn())
    }

    /// A SIGKILLed server leaves a mount whose /dev/fuse descriptor is closed. Making one by hand
    /// (mount with a descriptor, then close it) reproduces that without a helper process.
    func testStaleMountIsClearedForANewServer() throws {
        let stale = mountpoint + "-stale"
        XCTAssertEqual(mkdir(stale, 0o755), 0)
        let device = open("/dev/fuse", O_RDWR)
        XCTAssertGreaterThanOrEqual(device, 0)
        let options = "fd=\(device),rootmode=40000,user_id=0,group_id=0"
        XCTAssertEqual(Glibc.mount("pcpsim", stale, "fuse.pcpsim", 0, options), 0)
        close(device)
        var status = stat()
        XCTAssertEqual(stat(stale, &status), -1)
        XCTAssertEqual(errno, ENOTCONN)

        stopServer()
        try mount(at: stale)
        XCTAssertEqual(contents(path("sys/kernel/mm/flag")), "1\n")
        stopServer()
        XCTAssertFalse(isMounted(stale), "the stale mount is gone too")
    }

    func testClearStaleMountCreatesMissingDirectories() throws {
        let fresh = mountpoint + "-new/a/b"
        try FuseServer.clearStaleMount(at: fresh)
        var status = stat()
        XCTAssertEqual(stat(fresh, &status), 0)
        XCTAssertEqual(status.st_mode & S_IFMT, S_IFDIR)
    }

    func testInvalidTreesAreRejected() {
        final class Duplicate: FileTable {
            let files = [FileEntry(path: "proc/a", mode: 0o444), FileEntry(path: "proc/a/b", mode: 0o444)]
            func read(_: String) -> [UInt8] { [] }
            func write(_: String, _: [UInt8]) -> Int32 { EACCES }
        }
        XCTAssertThrowsError(try FuseServer(table: Duplicate(), mountpoint: mountpoint + "-bad")) { error in
            XCTAssertEqual("\(error)", "\"proc/a\" is both a file and a directory: rename one of them")
        }
    }
}
