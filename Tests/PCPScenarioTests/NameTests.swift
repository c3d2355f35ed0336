import XCTest
import PCPModel
import PCPScenario

/// The typed values options and files take.
final class NameTests: XCTestCase {
    func testWorkloadNames() {
        XCTAssertEqual(WorkloadName("none"), WorkloadName.none)
        XCTAssertEqual(WorkloadName("kbuild"), .builtin("kbuild"))
        XCTAssertEqual(WorkloadName("mix:random+thp"), .mix("random", "thp"))
        XCTAssertEqual(WorkloadName("trace:a/b.gz"), .trace("a/b.gz"))
        for bad in ["nope", "trace:", "mix:random", "mix:random+nope", "mix:mix:a+b+c", "mix:A+B", ""] {
            XCTAssertNil(WorkloadName(bad), bad)
        }
        for name in WorkloadName.builtins { XCTAssertEqual(WorkloadName(name)?.description, name) }
        XCTAssertEqual(WorkloadName.mix("random", "thp").description, "mix:random+thp")
    }

    func testDurations() {
        XCTAssertEqual(Scenario.Duration("whole"), .whole)
        XCTAssertEqual(Scenario.Duration("100 ops"), .ops(100))
        XCTAssertEqual(Scenario.Duration.ops(100).description, "100 ops")
        XCTAssertEqual(Scenario.Duration("2.5 s"), .seconds(2.5))
        XCTAssertEqual(Scenario.Duration.seconds(2.5).description, "2.5 s")
        for bad in ["100", "ops", "1.5 ops", "0 s", "-1 s", "x s", "inf s"] { XCTAssertNil(Scenario.Duration(bad), bad) }
    }

    func testByteSizes() throws {
        XCTAssertEqual(try ByteSize(parsing: "16G").bytes, 16 << 30)
        XCTAssertEqual(try ByteSize(parsing: "512MiB").bytes, 512 << 20)
        XCTAssertEqual(try ByteSize(parsing: "4096").bytes, 4096)
        XCTAssertEqual(try ByteSize(parsing: "1t").description, "1t")
        for bad in ["lots", "0", "-1G", "G", "99999999T"] { XCTAssertThrowsError(try ByteSize(parsing: bad), bad) }
    }

    func testPolicyOptionsMapToTheModel() {
        var o = PolicyOptions()
        XCTAssertEqual(o.pcpBuddyOptions, PCPBuddyOptions())
        o.phase2Chunk = .smallest
        o.remoteFreeLock = .trylock
        XCTAssertFalse(o.pcpBuddyOptions.phase2LargestFirst)
        XCTAssertEqual(o.pcpBuddyOptions.remoteFreeLock, .trylock)
    }
}
