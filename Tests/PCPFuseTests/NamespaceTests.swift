import Foundation
import Glibc
import PCPFuse
import XCTest

/// Binding files over /proc/... for one command, without touching the host's /proc.
final class NamespaceTests: FuseTestCase {
    private var scratch: String!

    override func setUpWithError() throws {
        try super.setUpWithError()
        scratch = mountpoint + "-scratch"
        XCTAssertEqual(mkdir(scratch, 0o755), 0)
    }

    func testPlainFileIsBoundOverProcBuddyinfo() throws {
        let fake = "Node 0, zone   Normal      1      2      3\n"
        try fake.write(toFile: scratch + "/buddyinfo", atomically: false, encoding: .utf8)
        let status = try Namespace.runInPrivateNamespace(
            binds: [(scratch + "/buddyinfo", "/proc/buddyinfo")],
            command: ["sh", "-c", "cat /proc/buddyinfo > \(scratch!)/seen"])
        XCTAssertEqual(status, 0)
        XCTAssertEqual(try String(contentsOfFile: scratch + "/seen", encoding: .utf8), fake)
        XCTAssertTrue(contents("/proc/buddyinfo").hasPrefix("Node 0, zone      DMA"), "host /proc is real")
        XCTAssertFalse(isMounted("/proc/buddyinfo"))
    }

    func testFuseFileIsBoundOverProc() throws {
        let status = try Namespace.runInPrivateNamespace(
            binds: [(path("proc/counter"), "/proc/buddyinfo"), (path("proc/sys/vm/knob"), "/proc/sys/vm/percpu_pagelist_high_fraction")],
            command: ["sh", "-c", "echo 7 > /proc/sys/vm/percpu_pagelist_high_fraction && cat /proc/buddyinfo > \(scratch!)/seen"])
        XCTAssertEqual(status, 0)
        XCTAssertEqual(try String(contentsOfFile: scratch + "/seen", encoding: .utf8), StubTable.counter(1))
        XCTAssertEqual(table.state.withLock { $0.knob }, 7, "the write reached the table")
        XCTAssertEqual(contents("/proc/sys/vm/percpu_pagelist_high_fraction"), "0\n", "not the host's sysctl")
    }

    /// A read-only tree refuses every write with EROFS, while a file bound over part of it
    /// afterwards still takes writes: what `pcpsim shell` does to /sys and /proc/sys.
    func testReadOnlyTreeWithAWritableBindOnTop() throws {
        try "host\n".write(toFile: scratch + "/host-knob", atomically: false, encoding: .utf8)
        try "0\n".write(toFile: scratch + "/sim-knob", atomically: false, encoding: .utf8)
        let status = try Namespace.runInPrivateNamespace(
            binds: [(path("proc/sys/vm/knob"), scratch + "/sim-knob")], readOnly: [scratch],
            command: ["sh", "-c", "echo 7 > \(scratch!)/sim-knob || exit 1; echo changed > \(scratch!)/host-knob 2>/dev/null && exit 2; "
                      + "touch \(scratch!)/new 2>/dev/null && exit 3; exit 0"])
        XCTAssertEqual(status, 0, "1: the bound file refused a write; 2, 3: the read-only tree took one")
        XCTAssertEqual(table.state.withLock { $0.knob }, 7)
        XCTAssertEqual(contents(scratch + "/host-knob"), "host\n")
        XCTAssertTrue(FileManager.default.isWritableFile(atPath: scratch), "outside the namespace nothing changed")
    }

    func testMissingTargetIsSkipped() throws {
        let status = try Namespace.runInPrivateNamespace(
            binds: [(path("proc/counter"), "/proc/no-such-file")], command: ["true"])
        XCTAssertEqual(status, 0)
    }

    func testExitStatusIsReturned() throws {
        XCTAssertEqual(try Namespace.runInPrivateNamespace(binds: [], command: ["sh", "-c", "exit 3"]), 3)
        XCTAssertEqual(try Namespace.runInPrivateNamespace(binds: [], command: ["sh", "-c", "kill -9 $$"]), 137)
    }

    func testUnknownCommandThrows() {
        XCTAssertThrowsError(try Namespace.runInPrivateNamespace(binds: [], command: ["no-such-command-pcpsim"])) { error in
            XCTAssertEqual("\(error)", "cannot run no-such-command-pcpsim: No such file or directory; install it or add it to PATH")
        }
    }
}
