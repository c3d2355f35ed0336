import XCTest
@testable import PCPAnalysis
import PCPModel
import PCPScenario

/// Runs of a plan that boot the same aged machine age it once (LocalRunner): each still prints
/// what it prints when it boots and ages its own machine.
final class SharedBootTests: XCTestCase {
    /// An aged machine under `policy` with `seed`, running `workload` with `params`.
    func aged(_ policy: Policy, seed: UInt64, _ workload: String, _ params: [String: String] = [:], seconds: Double = 20) -> Scenario {
        var s = Scenario()
        s.machine = .x86(X86Machine(memory: try! ByteSize(parsing: "512M"), cpus: 4))
        s.policy = policy
        s.seed = seed
        s.age = seconds
        s.workload = WorkloadName(workload)!
        s.params = params
        s.duration = .ops(20_000)
        s.seriesPoints = 10
        s.excludeWarmup = true
        return s
    }

    /// The plan's runs: three workloads on each of two aged machines per policy, a machine aged
    /// longer, and one never aged.
    func plan() -> RunPlan {
        var p = RunPlan(kind: .compare)
        for policy in Policy.allCases {
            for seed: UInt64 in [1, 2] {
                p.runs.append(.init(name: "\(policy)-\(seed)-frag", scenario: aged(policy, seed: seed, "fragmenter")))
                p.runs.append(.init(name: "\(policy)-\(seed)-jemalloc", scenario: aged(policy, seed: seed, "jemalloc-purge")))
                p.runs.append(.init(name: "\(policy)-\(seed)-fill", scenario: aged(policy, seed: seed, "random", ["fill": "40"])))
            }
        }
        p.runs.append(.init(name: "longer", scenario: aged(.baseline, seed: 1, "fragmenter", seconds: 25)))
        var fresh = aged(.baseline, seed: 1, "fragmenter")
        fresh.age = nil
        p.runs.append(.init(name: "fresh", scenario: fresh))
        return p
    }

    func testRunsSharingAnAgedMachinePrintWhatTheyPrintAlone() throws {
        let p = plan()
        let groups = RunPlan.bootGroups(p.runs.map(\.scenario))
        XCTAssertEqual(groups.map(\.count), Array(repeating: 3, count: 2 * Policy.allCases.count) + [1, 1],
                       "one group a policy and seed; the longer age and the fresh machine alone")
        let shared = try LocalRunner.run(p, jobs: 2)
        XCTAssertEqual(shared.count, p.runs.count)
        for r in p.runs {
            let alone = try XCTUnwrap(r.scenario.run().metrics)
            XCTAssertEqual(shared[r.name], alone, "\(r.name) differs when it restores the aged machine another run kept")
        }
    }

    /// The key leaves out only what boot() does not read.
    func testTheKeyKeepsWhatBootReads() {
        let a = aged(.baseline, seed: 1, "fragmenter")
        XCTAssertEqual(a.agedBootKey, aged(.baseline, seed: 1, "random", ["fill": "40"]).agedBootKey)
        var knob = a
        knob.knobs = [KnobSetting(name: "vm.min_free_kbytes", value: "8192", origin: "test")]
        var cost = a
        cost.cost.operationNs *= 2
        var swap = a
        swap.swap = try! ByteSize(parsing: "64M")
        var phase = a
        phase.vmstatPhaseMs = 10
        var options = a
        options.policyOptions.remoteFreeLock = .trylock
        for other in [knob, cost, swap, phase, options, aged(.pcpBuddy, seed: 1, "fragmenter"), aged(.baseline, seed: 2, "fragmenter")] {
            XCTAssertNotEqual(a.agedBootKey, other.agedBootKey)
        }
    }
}
