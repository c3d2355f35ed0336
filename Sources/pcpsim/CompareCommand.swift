import ArgumentParser
import Foundation
import PCPAnalysis
import PCPModel
import PCPScenario

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run several policies on the same machine and workload, side by side, over several seeds.",
        discussion: """
        Example: pcpsim compare --policies baseline,pcp-buddy,pcp-merge,block-economy --workload jemalloc-purge \\
                   --cpus 64 --memory 64G --seeds 3 --json cmp.json --report cmp/
        --sweep cpus=8,32,128 (or memory=..., nodes=..., or any workload parameter) repeats the comparison
        at each value and charts the scaling curve. Every number in the table is the mean over the seeds
        of the JSON metric named in its row, with the spread and the ratio to the first policy.
        """
    )
    @OptionGroup var file: ScenarioOptions
    @OptionGroup var machine: MachineOptions
    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var runOptions: RunOptions
    @Option(help: "Comma-separated policies; the first is the baseline of the ratios.")
    var policies = PolicyList(argument: "baseline,pcp-buddy")!
    @Option(help: "Number of seeds (seed, seed+1, ...).")
    var seeds: Int = 3
    @Option(help: "Write the comparison as JSON to this file.")
    var json: String?
    @Option(help: "Write a self-contained HTML report (index.html, compare.json) into this directory.")
    var report: String?
    @Option(help: "Repeat over a parameter: cpus=8,32,128 | memory=4G,16G | nodes=1,2 | a workload parameter.")
    var sweep: Sweep?

    func run() throws {
        let base = try file.scenario(machine, workload, runOptions)
        guard base.workload != .none else { throw UsageError("--workload is required (known: \(Workloads.names.joined(separator: ", ")))") }
        guard seeds >= 1 else { throw UsageError("need at least one seed") }
        guard base.traceOut == nil else { throw UsageError("--trace-out records one run: use pcpsim run") }
        let seedList = (0..<seeds).map { base.seed &+ UInt64($0) }
        var result: CompareResult
        if let sweep {
            var points: [CompareResult.SweepPoint] = []
            for v in sweep.values {
                points.append(CompareResult.SweepPoint(value: v, result: try compare(sweep.scenario(base, at: v), seedList)))
            }
            result = points[0].result
            if sweep.sizesTheMachine {
                result.machine = points.map { "\(sweep.name)=\($0.value): \($0.result.machine)" }.joined(separator: "; ")
            }
            result.sweepParameter = sweep.name
            result.sweep = points
        } else {
            result = try compare(base, seedList)
        }
        print(CompareTable.render(result), terminator: "")
        if let json { try TextFile.write(PrettyJSON.encode(result), to: json) }
        if let report {
            try FileManager.default.createDirectory(atPath: report, withIntermediateDirectories: true)
            try TextFile.write(PrettyJSON.encode(result), to: report + "/compare.json")
            try TextFile.write(Data(HTMLReport.render(result).utf8), to: report + "/index.html")
        }
    }

    func compare(_ s: Scenario, _ seedList: [UInt64]) throws -> CompareResult {
        let spec = try s.machine.spec()
        // Fail fast on a bad workload or parameter, before any run.
        _ = try s.makeWorkload(for: s.boot())
        let mem = spec.nodes.flatMap(\.zones).reduce(0) { $0 + $1.present } >> 8
        let plan = Compare.Plan(variants: policies.policies.map { p in
            var v = s
            v.policy = p
            return Compare.Variant(label: p.rawValue, scenario: v)
        }, seeds: seedList, machineDescription: "\(spec.cpuCount) CPUs, \(spec.nodes.count) node(s), \(mem) MiB")
        let tty = isatty(2) == 1
        return try Compare.run(plan) { done, total in
            if tty { FileHandle.standardError.write(Data("\rpcpsim compare: run \(done)/\(total)\(done == total ? "\n" : "")".utf8)) }
        }
    }
}
