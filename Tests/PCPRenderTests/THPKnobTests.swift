import XCTest
import PCPModel
import PCPRender
import PCPLive

/// The transparent_hugepage files answer every write of the real 6.18 capture
/// (fixtures/thp-knobs-6.18/results.tsv) with the kernel's errno and read back its text.
final class THPKnobTests: XCTestCase {
    func read(_ l: LiveMachine, _ p: String) -> String { String(decoding: l.read(p), as: UTF8.self) }

    func testEveryCapturedWriteGetsTheKernelsErrno() throws {
        let l = LiveMachine(machine: try Fixture.machine(), workload: nil, seed: 1)
        let dir = "sys/kernel/mm/transparent_hugepage/"
        XCTAssertEqual(l.write(dir + "enabled", Array("madvise".utf8)), 0)
        let errnos: [String: Int32] = ["ok": 0, "EINVAL": 22, "ERANGE": 34, "open EACCES": 13]
        var rows = 0
        for line in Fixture.text("thp-knobs-6.18/results.tsv").split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if f[1] == "(read)" {
                XCTAssertEqual(read(l, dir + f[0]), f[2] + "\n", f[0])
                continue
            }
            let value = String(f[1].dropFirst().dropLast()).replacingOccurrences(of: "\\n", with: "\n")
            let before = read(l, dir + f[0])
            XCTAssertEqual(l.write(dir + f[0], Array(value.utf8)), errnos[f[2]], "\(f[0]) <- \(f[1])")
            XCTAssertEqual(read(l, dir + f[0]), before, "refused or same-value writes change nothing")
            rows += 1
        }
        XCTAssertEqual(rows, 53)
    }

    func testDefragWordsAndKnobsReadBack() throws {
        let m = try Fixture.machine()
        let l = LiveMachine(machine: m, workload: nil, seed: 1)
        let p = "sys/kernel/mm/transparent_hugepage/defrag"
        for w in ["always", "defer", "defer+madvise", "never", "madvise\n"] {
            XCTAssertEqual(l.write(p, Array(w.utf8)), 0, w)
        }
        XCTAssertEqual(m.knobs.thpDefrag, .madvise)
        XCTAssertEqual(l.write(p, Array("defer+madvise".utf8)), 0)
        XCTAssertEqual(read(l, p), "always defer [defer+madvise] madvise never\n")
        XCTAssertEqual(l.write("sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none", Array("0".utf8)), 0)
        XCTAssertEqual(m.knobs.khugepaged.maxPtesNone, 0)
    }

    /// vma_thp_gfp_mask(): which faults may compact, for each defrag word.
    func testFaultGFPFollowsDefrag() {
        var k = Knobs()
        k.thp = .always
        k.thpDefrag = .always
        XCTAssertEqual(k.thpGFP(madvised: false), THPGFP(directReclaim: true, kswapdReclaim: false, noRetry: true))
        XCTAssertEqual(k.thpGFP(madvised: true), THPGFP(directReclaim: true, kswapdReclaim: false, noRetry: false))
        k.thpDefrag = .madvise
        XCTAssertEqual(k.thpGFP(madvised: false)?.directReclaim, false)
        XCTAssertEqual(k.thpGFP(madvised: true)?.directReclaim, true)
        k.thpDefrag = .defer
        XCTAssertEqual(k.thpGFP(madvised: true), THPGFP(directReclaim: false, kswapdReclaim: true, noRetry: false))
        k.thp = .madvise
        XCTAssertNil(k.thpGFP(madvised: false), "enabled=madvise: a plain VMA gets no THP")
        k.thp = .never
        XCTAssertNil(k.thpGFP(madvised: true))
    }
}
