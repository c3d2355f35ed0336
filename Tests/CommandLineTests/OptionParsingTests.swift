import XCTest
import ArgumentParser
import PCPModel
import PCPScenario
@testable import pcpsim

/// The command line's typed options, parsed in process: the parser refuses words outside a
/// set, and the option groups build the scenario the README describes.
final class OptionParsingTests: XCTestCase {
    func scenario(_ args: [String]) throws -> Scenario {
        let c = try RunCommand.parse(args)
        return try c.file.scenario(c.machine, c.workload, c.runOptions)
    }

    func testWordSetsAreRefusedByTheParser() {
        for args in [["--policy", "slab"], ["--remote-free-lock", "sometimes"], ["--phase2-chunk", "middle"],
                     ["--pcp-state-list", "highatomic"], ["--workload", "nope"], ["--workload", "mix:random+nope"], ["--workload", "trace:"]] {
            XCTAssertThrowsError(try RunCommand.parse(args), "\(args)") { e in
                XCTAssertTrue(RunCommand.message(for: e).contains("is invalid for '\(args[0])"), RunCommand.message(for: e))
            }
        }
        XCTAssertThrowsError(try CompareCommand.parse(["--policies", "baseline,,pcp-buddy"]))
        XCTAssertThrowsError(try BenchCommand.parse(["pcp-slowpath"]))
        XCTAssertThrowsError(try BenchCommand.parse(["pcp-fastpath", "--kind", "file"]))
        XCTAssertEqual(try BenchCommand.parse(["pcp-fastpath", "--kind", "kernel"]).kind.allocKind, .kernel)
        XCTAssertEqual(try BenchCommand.parse(["pcp-fastpath"]).kind.allocKind, .kernel)
        XCTAssertEqual(try BenchCommand.parse(["pcp-fastpath", "--kind", "anon"]).kind.allocKind, .anon)
        XCTAssertThrowsError(try CompareCommand.parse(["--sweep", "cpus="]))
    }

    func testOptionsBuildTheScenario() throws {
        let s = try scenario(["--workload", "mix:random+kbuild", "--param", "a.fill=50", "--policy", "pcp-buddy", "--remote-free-lock", "trylock",
                              "--phase2-chunk", "smallest", "--memory", "2G", "--cpus", "4", "--ops", "1000", "--seed", "5",
                              "--sysctl", "vm.min_free_kbytes=67584", "--check"])
        var want = Scenario()
        want.workload = .mix("random", "kbuild")
        want.params = ["a.fill": "50"]
        want.policy = .pcpBuddy
        want.policyOptions.remoteFreeLock = .trylock
        want.policyOptions.phase2Chunk = .smallest
        want.machine = .x86(X86Machine(memory: try ByteSize(parsing: "2G"), cpus: 4))
        want.duration = .ops(1000)
        want.seed = 5
        want.knobs = [KnobSetting(name: "vm.min_free_kbytes", value: "67584", origin: "--sysctl")]
        want.checkEvery = 1
        XCTAssertEqual(s, want)
        XCTAssertEqual(try scenario([]), Scenario(), "no option, the defaults")
    }

    func testImportOptions() throws {
        let s = try scenario(["--like-zoneinfo", "z.txt", "--like-pagetypeinfo", "p.txt", "--pcp-state-from-zoneinfo", "--pcp-state-list", "trace",
                              "--workload", "trace:t.gz"])
        XCTAssertEqual(s.machine, .imported(ImportedMachine(zoneinfo: "z.txt", pagetypeinfo: "p.txt", pcpState: .trace)))
        XCTAssertEqual(s.workload, .trace("t.gz"))
        XCTAssertEqual(try scenario(["--like-zoneinfo", "z.txt", "--pcp-state-from-zoneinfo"]).machine,
                       .imported(ImportedMachine(zoneinfo: "z.txt", pcpState: .movable)))
        for (args, message) in [(["--pcp-state-from-zoneinfo"], "--pcp-state-from-zoneinfo needs --like-zoneinfo FILE"),
                                (["--pcp-state-list", "movable"], "--pcp-state-list needs --pcp-state-from-zoneinfo"),
                                (["--like-pagetypeinfo", "p.txt"], "--like-pagetypeinfo needs --like-zoneinfo FILE"),
                                (["--check-every", "0"], "--check-every must be >= 1")] {
            XCTAssertThrowsError(try scenario(args)) { XCTAssertEqual("\($0)", message) }
        }
    }

    func testMountSharesTheGroupsAndDefaultsToRandom() throws {
        let c = try MountCommand.parse(["/tmp/x", "--seed", "3", "--cost-model", "/nonexistent"])
        XCTAssertEqual(c.workload.seed, 3)
        let m = try MountCommand.parse(["/tmp/x"])
        XCTAssertEqual(try m.file.scenario(base: MountCommand.base, m.machine, m.workload).workload, .builtin("random"))
        let none = try MountCommand.parse(["/tmp/x", "--workload", "none"])
        XCTAssertEqual(try none.file.scenario(base: MountCommand.base, none.machine, none.workload).workload, WorkloadName.none)
    }

    func testSweepParameters() throws {
        let cmp = try CompareCommand.parse(["--sweep", "cpus=2,4", "--memory", "1G"])
        let base = try cmp.file.scenario(cmp.machine, cmp.workload, cmp.runOptions)
        XCTAssertEqual(try cmp.sweep!.scenario(base, at: "4").machine, .x86(X86Machine(memory: try ByteSize(parsing: "1G"), cpus: 4)))
        XCTAssertEqual(try CompareCommand.parse(["--sweep", "purgers=1,2"]).sweep!.scenario(base, at: "2").params, ["purgers": "2"])
        XCTAssertEqual(try CompareCommand.parse(["--policies", "pcp-merge,baseline"]).policies.policies, [.pcpMerge, .baseline])
    }

    func testOneLineMessages() {
        XCTAssertEqual(oneLine("The value 'x' is invalid for '--workload <workload>'. Please provide one of the following:\n  - a\n  - b"),
                       "The value 'x' is invalid for '--workload <workload>'. Please provide one of: a, b")
        XCTAssertEqual(oneLine("first\nsecond"), "first")
    }
}
