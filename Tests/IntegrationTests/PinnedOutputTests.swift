import Foundation
import XCTest

/// Refactors and speed work keep behaviour: every pinned command prints the same bytes as when
/// it was pinned (fixtures/pinned/commands.txt; `scripts/pin` regenerates them on purpose).
final class PinnedOutputTests: XCTestCase {
    func testPinnedOutputsAreByteIdentical() throws {
        let dir = Harness.root.appendingPathComponent("fixtures/pinned").path
        let commands = try String(contentsOfFile: dir + "/commands.txt", encoding: .utf8)
        var checked = 0
        for line in commands.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            guard let name = words.first else { continue }
            let out = NSTemporaryDirectory() + "pcpsim-pin-\(getpid())-\(name)"
            defer { try? FileManager.default.removeItem(atPath: out) }
            var args = Array(words.dropFirst())
            let toStdout = args.suffix(2) == [">", "@OUT"]
            if toStdout { args.removeLast(2) }
            args = args.map { $0 == "@OUT" ? out : $0 }
            let r = try Harness.run([Harness.binary] + args, timeout: 120)
            XCTAssertEqual(r.status, 0, "\(line): \(r.err)")
            let got = toStdout ? Data(r.out.utf8) : (FileManager.default.contents(atPath: out) ?? Data())
            let want = FileManager.default.contents(atPath: dir + "/" + name) ?? Data()
            XCTAssertTrue(got == want, "\(name) differs from the pinned output (pcpsim \(args.joined(separator: " ")))")
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 28)
    }
}
