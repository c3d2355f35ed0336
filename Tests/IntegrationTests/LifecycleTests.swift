import Foundation
import XCTest

/// The mount under load, under kill -9, and on Ctrl-C.
final class MountLifecycleTests: XCTestCase {
    override func setUpWithError() throws { try Harness.requireFuse() }

    func testKill9ThenMountAgainWithoutCleanup() throws {
        let first = try Mount(["--memory", "1G", "--cpus", "2"])
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        let second = try Mount(["--memory", "1G", "--cpus", "2"], at: first.dir)
        let text = second.read("proc/buddyinfo")
        XCTAssertTrue(text.hasPrefix("Node 0"), "read \(text.debugDescription); server log: \((try? String(contentsOf: second.log, encoding: .utf8)) ?? "")")
    }

    func testCtrlCLeavesNoMount() throws {
        let m = try Mount(["--memory", "1G", "--cpus", "2"])
        kill(m.process.processIdentifier, SIGINT)
        m.process.waitUntilExit()
        XCTAssertEqual(m.process.terminationStatus, 0)
        XCTAssertFalse(m.isMounted())
    }

    /// 8 readers looping over every file and a writer toggling knobs while the workload runs:
    /// no error, no short or torn file, counters never go backwards, invariants hold at the end.
    func testReadersAndWriterUnderLoad() throws {
        let seconds = Double(ProcessInfo.processInfo.environment["PCPSIM_LOAD_SECONDS"] ?? "60")!
        let m = try Mount(["--memory", "4G", "--cpus", "8", "--workload", "random", "--pace", "2"])
        let files = ["proc/buddyinfo", "proc/zoneinfo", "proc/pagetypeinfo", "proc/vmstat", "proc/meminfo",
                     "sys/kernel/debug/extfrag/unusable_index", "sys/kernel/debug/pcp/cpu3/node0-Normal",
                     "proc/sys/vm/min_free_kbytes", "proc/sys/vm/lowmem_reserve_ratio"]
        let deadline = Date().addingTimeInterval(seconds)
        let failures = Failures()
        let group = DispatchGroup()
        for reader in 0..<8 {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                var last: [String: Int] = [:]
                var n = 0
                while Date() < deadline {
                    let path = files[(n + reader) % files.count]
                    n += 1
                    guard let text = Harness.readToEnd(m.dir + "/" + path) else {
                        failures.add("read of \(path) failed"); continue
                    }
                    if text.isEmpty || !text.hasSuffix("\n") { failures.add("\(path) short or torn: \(text.suffix(40))") }
                    if path == "proc/vmstat" {
                        for line in text.split(separator: "\n") {
                            let f = line.split(separator: " ")
                            guard f.count == 2, let v = Int(f[1]) else { failures.add("bad vmstat line \(line)"); continue }
                            let name = String(f[0])
                            if name.hasPrefix("pg") || name.hasPrefix("numa_"), let old = last[name], v < old {
                                failures.add("\(name) went backwards: \(old) -> \(v)")
                            }
                            last[name] = v
                        }
                    }
                }
            }
        }
        group.enter()
        DispatchQueue.global().async {
            defer { group.leave() }
            var k = 0
            while Date() < deadline {
                let writes = [("percpu_pagelist_high_fraction", k % 2 == 0 ? "8" : "0"), ("watermark_scale_factor", "\(10 + k % 50)"),
                              ("min_free_kbytes", "\(60000 + k % 9000)"), ("lowmem_reserve_ratio", "256 256 \(16 + k % 32)")]
                let (name, value) = writes[k % writes.count]
                k += 1
                do { try value.write(toFile: m.dir + "/proc/sys/vm/" + name, atomically: false, encoding: .utf8) } catch {
                    failures.add("write \(name)=\(value) failed: \(error)")
                }
                usleep(20_000)
            }
        }
        group.wait()
        XCTAssertEqual(failures.list.prefix(10), [])
        XCTAssertEqual(m.read("sys/kernel/debug/pcpsim/invariants"), "ok\n")
        XCTAssertTrue(m.process.isRunning, "the server survived")
    }
}

final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var list: [String] = []
    func add(_ s: String) { lock.lock(); list.append(s); lock.unlock() }
}

/// A reader holding an open file when the server dies gets an error, not a hang: at once for a
/// file whose reads reach the server, and once the kernel's cached attributes expire (well
/// under a second) for one served from the page cache.
final class ServerDeathTests: XCTestCase {
    override func setUpWithError() throws { try Harness.requireFuse() }

    func testOpenFileErrorsAfterKill9() throws {
        let m = try Mount(["--memory", "512M", "--cpus", "2", "--workload", "none"])
        var buf = [UInt8](repeating: 0, count: 65536)
        let files = [m.dir + "/proc/zoneinfo", m.dir + "/proc/sys/vm/min_free_kbytes"]
        let fds = files.map { open($0, O_RDONLY) }
        defer { fds.forEach { close($0) } }
        for fd in fds {
            XCTAssertGreaterThanOrEqual(fd, 0)
            XCTAssertGreaterThan(read(fd, &buf, buf.count), 0)
        }
        kill(m.process.processIdentifier, SIGKILL)
        m.process.waitUntilExit()
        let start = Date()
        for (file, fd) in zip(files, fds) {
            var n = pread(fd, &buf, buf.count, 0)
            while n >= 0 && Date().timeIntervalSince(start) < 5 {
                usleep(10_000)
                n = pread(fd, &buf, buf.count, 0)
            }
            XCTAssertEqual(n, -1, "a read of \(file) on a dead server fails")
            XCTAssertEqual(errno, ENOTCONN)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
    }
}
