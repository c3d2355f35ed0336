import Foundation
import Glibc
import XCTest

/// open+read+close of a 300-byte snapshot file against the real /proc/buddyinfo (about 300
/// bytes too on a small machine), measured in the same run with readloop. Opt-in, as it takes
/// a while: PCPFUSE_BENCH=<directory holding readloop built as /work/shared/tools/README.md
/// says>. scripts/bench-reads measures pcpsim's own files the same way.
final class BenchmarkTests: FuseTestCase {
    private var tools: String!

    override func setUpWithError() throws {
        guard let tools = ProcessInfo.processInfo.environment["PCPFUSE_BENCH"] else {
            throw XCTSkip("set PCPFUSE_BENCH to a directory with readloop to run")
        }
        self.tools = tools
        try super.setUpWithError()
    }

    func testOpenReadCloseWithinHalfAgainOfProcfs() throws {
        var procMedians: [Double] = []
        var ourMedians: [Double] = []
        for _ in 0..<5 {
            procMedians.append(try readloop("/proc/buddyinfo"))
            ourMedians.append(try readloop(path("proc/buddyinfo")))
        }
        let (procMedian, ourMedian) = (median(procMedians), median(ourMedians))
        print("open+read+close µs, median of 5 readloop medians: /proc/buddyinfo \(procMedian), pcpsim \(ourMedian)"
            + " (\(String(format: "%.2f", ourMedian / procMedian))×)")
        XCTAssertLessThanOrEqual(ourMedian, 1.5 * procMedian)
    }

    /// readloop's median µs per open+read+close over 20,000 iterations.
    private func readloop(_ file: String) throws -> Double {
        let result = try runTool([tools + "/readloop", file, "20000"])
        XCTAssertEqual(result.status, 0)
        return Double(result.output.split(separator: " ")[0]) ?? .infinity
    }

    private func median(_ values: [Double]) -> Double {
        values.sorted()[values.count / 2]
    }
}
