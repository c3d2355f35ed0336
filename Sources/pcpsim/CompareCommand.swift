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
        of the JSON metric named in its row, with its 95% t interval and the ratio to the first policy with
        its interval. Without --ops or --duration each run lasts 3 simulated seconds (three stat intervals).
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

    /// Simulated seconds a comparison runs without --ops or --duration: three stat intervals.
    static let defaultSeconds = 3.0

    @Option(help: "Runs at once on this machine (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Measure whole runs (default: a run of two or more stat intervals leaves the first out as warm-up).")
    var includeWarmup = false

    func run() throws {
        let plan = try makePlan()
        guard jobs >= 1 else { throw UsageError("--jobs must be at least 1") }
        let tty = isatty(2) == 1
        let metrics = try LocalRunner.run(plan, jobs: jobs) { done, total in
            if tty { FileHandle.standardError.write(Data("\rpcpsim compare: run \(done)/\(total)\(done == total ? "\n" : "")".utf8)) }
        }
        try CompareCommand.emit(Merge.compareResult(plan, metrics), json: json, report: report)
    }

    /// The runs this command line asks for, as `pcpsim sweep plan` writes them too.
    func makePlan() throws -> RunPlan {
        var base = try file.scenario(machine, workload, runOptions)
        // Long enough for vmstat_update (pcp->high decay, counter folds) to run several times.
        if base.duration == .whole, case .trace = base.workload {} else if base.duration == .whole { base.duration = .seconds(CompareCommand.defaultSeconds) }
        base.excludeWarmup = !includeWarmup
        guard base.workload != .none else { throw UsageError("--workload is required (known: \(Workloads.names.joined(separator: ", ")))") }
        guard seeds >= 1 else { throw UsageError("need at least one seed") }
        guard base.traceOut == nil else { throw UsageError("--trace-out records one run: use pcpsim run") }
        let seedList = (0..<seeds).map { base.seed &+ UInt64($0) }
        var plan = RunPlan(kind: .compare)
        if let sweep {
            plan.sweepParameter = sweep.name
            for v in sweep.values {
                plan.add(try comparePlan(sweep.scenario(base, at: v), seedList), prefix: "\(sweep.name)=\(v)-", sweepValue: v)
            }
        } else {
            plan.add(try comparePlan(base, seedList), prefix: "")
        }
        return plan
    }

    /// Prints the table and writes the JSON and the report: what compare and sweep merge print.
    static func emit(_ result: CompareResult, json: String?, report: String?) throws {
        print(CompareTable.render(result), terminator: "")
        if let json { try TextFile.write(PrettyJSON.encode(result), to: json) }
        if let report {
            try FileManager.default.createDirectory(atPath: report, withIntermediateDirectories: true)
            try TextFile.write(PrettyJSON.encode(result), to: report + "/compare.json")
            try TextFile.write(Data(HTMLReport.render(result).utf8), to: report + "/index.html")
        }
    }

    func comparePlan(_ s: Scenario, _ seedList: [UInt64]) throws -> Compare.Plan {
        let spec = try s.machine.spec()
        // Fail fast on a bad workload or parameter, before any run.
        _ = try s.makeWorkload(for: s.boot())
        let mem = spec.nodes.flatMap(\.zones).reduce(0) { $0 + $1.present } >> 8
        return Compare.Plan(variants: policies.policies.map { p in
            var v = s
            v.policy = p
            return Compare.Variant(label: p.rawValue, scenario: v)
        }, seeds: seedList, machineDescription: "\(spec.cpuCount) CPUs, \(spec.nodes.count) node(s), \(mem) MiB")
    }
}
