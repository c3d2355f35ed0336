import Foundation
import XCTest

/// Runs the built pcpsim binary and real clients against its mount.
enum Harness {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The pcpsim executable built next to the test bundle.
    static var binary: String {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [here, here.deletingLastPathComponent(), root.appendingPathComponent(".build/debug")] {
            let p = dir.appendingPathComponent("pcpsim").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return root.appendingPathComponent(".build/debug/pcpsim").path
    }

    /// In CI a missing client is a failure (CI installs them); elsewhere the test is skipped.
    static func require(_ tool: String) throws -> String {
        for dir in ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"] {
            let p = dir + "/" + tool
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            XCTFail("\(tool) is not installed; scripts/deps installs it")
        }
        throw XCTSkip("\(tool) is not installed (scripts/deps installs it)")
    }

    static func requireFuse() throws {
        guard getuid() == 0, FileManager.default.fileExists(atPath: "/dev/fuse") else {
            throw XCTSkip("needs root and /dev/fuse")
        }
    }

    struct Result { var status: Int32; var out: String; var err: String }

    /// Runs a command to completion (bounded by `timeout` seconds); output goes through
    /// temporary files so a chatty child can never block on a full pipe.
    @discardableResult
    static func run(_ argv: [String], timeout: TimeInterval = 180, in directory: String? = nil) throws -> Result {
        let base = NSTemporaryDirectory() + "pcpsim-run-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        FileManager.default.createFile(atPath: base + ".out", contents: nil)
        FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer { try? FileManager.default.removeItem(atPath: base + ".out"); try? FileManager.default.removeItem(atPath: base + ".err") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err"))
        p.standardInput = FileHandle.nullDevice
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(5_000) }
        if p.isRunning { p.terminate(); XCTFail("\(argv) timed out") }
        p.waitUntilExit()
        return Result(status: p.terminationStatus,
                      out: (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
                      err: (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
    }

    static func sh(_ script: String) throws -> Result { try run(["/bin/bash", "-c", script]) }

    /// A file's text as cat reads it: open, read until end of file, close; nil on an error.
    /// (Foundation's String(contentsOfFile:) reads st_size bytes from an fstat made before its
    /// read, so a publication between the two can cut a page-cached file short.)
    static func readToEnd(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var text: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let got = Glibc.read(fd, &buffer, buffer.count)
            guard got >= 0 else { return nil }
            if got == 0 { return String(decoding: text, as: UTF8.self) }
            text += buffer[..<got]
        }
    }
}

/// A `pcpsim mount` running in the background for one test.
final class Mount: @unchecked Sendable {
    let dir: String
    let process = Process()
    let log: URL

    init(_ args: [String], at path: String? = nil) throws {
        dir = path ?? NSTemporaryDirectory() + "pcpsim-it-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        log = URL(fileURLWithPath: dir + ".log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: Harness.binary)
        process.arguments = ["mount", dir] + args
        let h = try FileHandle(forWritingTo: log)
        process.standardOutput = h
        process.standardError = h
        try process.run()
        try waitUntilMounted()
    }

    func waitUntilMounted() throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            // The banner comes after the mount; a stale mount's cached dentries alone can make
            // the file look present, so wait for both.
            let banner = (try? String(contentsOf: log, encoding: .utf8))?.contains("mounted at") ?? false
            if banner && isMounted() && FileManager.default.fileExists(atPath: dir + "/proc/buddyinfo") { return }
            if !process.isRunning { break }
            usleep(20_000)
        }
        throw NSError(domain: "pcpsim", code: 1, userInfo: [NSLocalizedDescriptionKey:
            "mount did not come up: " + ((try? String(contentsOf: log, encoding: .utf8)) ?? "")])
    }

    func isMounted() -> Bool {
        let info = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return info.split(separator: "\n").contains { $0.split(separator: " ").count > 4 && $0.split(separator: " ")[4] == dir }
    }

    func read(_ path: String) -> String {
        Harness.readToEnd(dir + "/" + path) ?? ""
    }

    /// SIGTERM and wait: the server unmounts on the way out.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(10_000) }
        }
        if isMounted() { _ = try? Harness.run(["/bin/umount", "-l", dir]) }
    }

    deinit { stop() }
}
