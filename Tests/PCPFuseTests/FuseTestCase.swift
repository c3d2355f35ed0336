import Foundation
import Glibc
import PCPFuse
import XCTest

/// Base for tests that mount: skips without /dev/fuse or root, mounts a StubTable in a fresh
/// temporary directory served on a background thread, and always unmounts in tearDown.
/// A watchdog aborts the process if a test hangs, which also kills its mounts.
class FuseTestCase: XCTestCase {
    var table: StubTable!
    var server: FuseServer!
    var mountpoint: String { server.mountpoint }
    private var serving: DispatchSemaphore!
    private var watchdog: DispatchWorkItem!
    private var temporary: String!
    /// How long a test may run before the watchdog aborts the process.
    var watchdogSeconds: Double { 30 }

    override func setUpWithError() throws {
        try XCTSkipUnless(access("/dev/fuse", F_OK) == 0, "/dev/fuse is missing")
        try XCTSkipUnless(geteuid() == 0, "mounting in tests needs root")
        let (name, seconds) = (self.name, watchdogSeconds)
        watchdog = DispatchWorkItem {
            FileHandle.standardError.write(Data("\(name) hung for \(seconds) s: aborting so that no test run hangs\n".utf8))
            abort()
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: watchdog)
        temporary = try makeTemporaryDirectory()
        table = StubTable()
        try mount(at: temporary + "/mnt")
    }

    override func tearDown() {
        if server != nil {
            stopServer()
        }
        if let temporary {
            _ = try? FileManager.default.removeItem(atPath: temporary)
        }
        watchdog?.cancel()
    }

    /// Mounts `table` at `path` and serves it on a new thread.
    func mount(at path: String) throws {
        server = try FuseServer(table: table, mountpoint: path)
        table.server = server
        let (server, serving) = (server!, DispatchSemaphore(value: 0))
        self.serving = serving
        Thread {
            do {
                try server.run()
            } catch {
                XCTFail("run() failed: \(error)")
            }
            serving.signal()
        }.start()
    }

    /// Stops the server, waits for `run()` to return, and checks the mount is gone.
    func stopServer() {
        server.stop()
        if serving.wait(timeout: .now() + 5) == .timedOut {
            XCTFail("run() did not return within 5 s of stop()")
            umount2(mountpoint, Int32(MNT_DETACH))
        }
        XCTAssertFalse(isMounted(mountpoint), "\(mountpoint) is still in /proc/self/mountinfo")
        server = nil
    }

    /// Waits up to 5 s for `run()` to return on its own.
    func waitForRunToReturn() -> Bool {
        let returned = serving.wait(timeout: .now() + 5) == .success
        if returned {
            serving.signal() // leave it signalled for tearDown
        }
        return returned
    }

    func path(_ relative: String) -> String {
        mountpoint + "/" + relative
    }
}

func makeTemporaryDirectory() throws -> String {
    var template = Array((NSTemporaryDirectory() + "pcpfuse-XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else { throw POSIXError(POSIXErrorCode(rawValue: errno)!) }
    return String(cString: made)
}

/// Whether /proc/self/mountinfo lists a mount at `path`.
func isMounted(_ path: String) -> Bool {
    let mountinfo = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
    return mountinfo.split(separator: "\n").contains { line in
        let fields = line.split(separator: " ")
        return fields.count > 4 && fields[4] == path
    }
}

/// Runs a tool and returns its exit status and standard output.
func runTool(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
