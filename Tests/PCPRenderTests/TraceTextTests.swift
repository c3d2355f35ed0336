import XCTest
import PCPModel
@testable import PCPRender

/// A capture's lines are read at their bytes when they are ASCII, at their Characters
/// otherwise: the two readings must agree on every line either can read.
final class TraceTextTests: XCTestCase {
    /// The byte reading (`asciiLine`) gives the Character reading's event (`line`) for every
    /// line of two captures, and on 6,000 of their lines cut and spliced with what matters to
    /// the format (brackets, colons, dots, signs, spaces, CRs, non-ASCII and combining
    /// characters, huge numbers) it gives that event or gives up where `line` finds the error.
    func testBytesAndCharactersReadLinesAlike() throws {
        var lines: [Substring] = []
        for dir in ["two-cpus", "mixed"] {
            lines += try Fixture.gunzip("fixtures/trace-6.18/\(dir)/trace.gz").split(separator: "\n").filter { !$0.hasPrefix("#") }
        }
        var read = 0
        for (k, raw) in lines.enumerated() {
            let bytes = try XCTUnwrap(TraceText.asciiLine(raw, number: k))
            XCTAssertEqual(bytes, try TraceText.line(raw, number: k))
            read += 1
        }
        XCTAssertGreaterThan(read, 50_000)
        let pieces = ["[", "]", ":", ".", " ", "=", "#", "0", "9", "-", "+", "é", "\u{301}", "\r", "\t", "x", "..", "::",
                      "[1]", "99999999999999999999", "0x", "\u{600}", "e5", "inf", "", "  "]
        var rng = SplitMix64(seed: 7)
        var agreed = 0, gaveUp = 0
        for k in 0..<6000 {
            var scalars = lines[Int(rng.next() % UInt64(lines.count))].unicodeScalars.map { String($0) }
            for _ in 0...rng.below(3) {
                let at = rng.below(scalars.count + 1), piece = pieces[rng.below(pieces.count)]
                switch rng.below(3) {
                case 0: scalars.insert(piece, at: at)
                case 1: if at < scalars.count { scalars.remove(at: at) }
                default: if at < scalars.count { scalars[at] = piece }
                }
            }
            let raw = Substring(scalars.joined())
            guard !raw.isEmpty, raw.first != "#" else { continue }
            let characters: TraceText.Line?
            do { characters = try TraceText.line(raw, number: k) } catch { characters = nil }
            if let bytes = TraceText.asciiLine(raw, number: k) {
                XCTAssertEqual(bytes, characters, "\(raw.debugDescription)")
                agreed += 1
            } else {
                gaveUp += 1
                XCTAssertTrue(characters == nil || raw.utf8.contains { $0 >= 0x80 }, "bytes gave up on \(raw.debugDescription)")
            }
        }
        XCTAssertGreaterThan(agreed, 1000)
        XCTAssertGreaterThan(gaveUp, 1000)
    }

    /// A text is cut into lines at its Characters when it holds a CR ("\r\n" is one of them),
    /// else at its bytes, and both read the same events either way.
    func testLinesWithAndWithoutCRs() throws {
        let first = "  a-1 [001] ..... 10.000001: mm_page_free: page=0 pfn=0x10 order=0"
        let second = "  b-2 [000] ..... 10.000002: mm_page_free: page=0 pfn=0x20 order=1 extra=1"
        let lf = try TraceText.lines(first + "\n" + second)
        XCTAssertEqual(lf.map(\.cpu), [1, 0])
        XCTAssertEqual(lf[0].fields, ["page": "0", "pfn": "0x10", "order": "0"])
        XCTAssertEqual(lf[1].timeNs, 10_000_002_000)
        // "\r\n" does not end a line Character by Character: the two are one line, the first's
        // event with the second's words as its last fields.
        let crlf = try TraceText.lines(first + "\r\n" + second)
        XCTAssertEqual(crlf.count, 1)
        XCTAssertEqual(crlf[0].timeNs, 10_000_001_000)
        XCTAssertEqual(crlf[0].fields["extra"], "1")
    }
}
