import ArgumentParser
import Foundation
import PCPAnalysis
import PCPModel

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
    @OptionGroup var machine: MachineOptions
    @OptionGroup var workload: WorkloadOptions
    @Option(help: "Comma-separated policies; the first is the baseline of the ratios.")
    var policies: String = "baseline,pcp-buddy"
    @Option(help: "Number of seeds (seed, seed+1, ...).")
    var seeds: Int = 3
    @Option(help: "Write the comparison as JSON to this file.")
    var json: String?
    @Option(help: "Write a self-contained HTML report (index.html, compare.json) into this directory.")
    var report: String?
    @Option(help: "Repeat over a parameter: cpus=8,32,128 | memory=4G,16G | nodes=1,2 | a workload parameter.")
    var sweep: String?

    func run() throws {
        guard let name = workload.workload else { throw UsageError("--workload is required (known: \(Workloads.names.joined(separator: ", ")))") }
        let chosen = try policies.split(separator: ",").map { try MachineOptions.policy(named: String($0)) }
        guard !chosen.isEmpty, seeds >= 1, (workload.ops ?? 0) >= 0 else { throw UsageError("need at least one policy, one seed and --ops >= 0") }
        let seedList = (0..<seeds).map { workload.seed &+ UInt64($0) }
        var result: CompareResult
        if let sweep {
            guard let eq = sweep.firstIndex(of: "=") else { throw UsageError("--sweep '\(sweep)': expected NAME=V1,V2,...") }
            let key = String(sweep[..<eq]), values = sweep[sweep.index(after: eq)...].split(separator: ",").map(String.init)
            guard !values.isEmpty else { throw UsageError("--sweep '\(sweep)': no values") }
            var points: [CompareResult.SweepPoint] = []
            for v in values {
                var m = machine, w = workload
                switch key {
                case "cpus": guard let n = Int(v) else { throw UsageError("--sweep cpus: '\(v)' is not a number") }; m.cpus = n
                case "memory": m.memory = v
                case "nodes": guard let n = Int(v) else { throw UsageError("--sweep nodes: '\(v)' is not a number") }; m.nodes = n
                default: w.params = w.params.filter { !$0.hasPrefix(key + "=") } + ["\(key)=\(v)"]
                }
                points.append(CompareResult.SweepPoint(value: v, result: try compare(name, chosen, seedList, m, w)))
            }
            result = points[0].result
            if ["cpus", "memory", "nodes"].contains(key) {
                result.machine = points.map { "\(key)=\($0.value): \($0.result.machine)" }.joined(separator: "; ")
            }
            result.sweepParameter = key
            result.sweep = points
        } else {
            result = try compare(name, chosen, seedList, machine, workload)
        }
        print(CompareTable.render(result), terminator: "")
        if let json { try write(PrettyJSON.encode(result), to: json) }
        if let report {
            try FileManager.default.createDirectory(atPath: report, withIntermediateDirectories: true)
            try write(PrettyJSON.encode(result), to: report + "/compare.json")
            try write(Data(HTMLReport.render(result).utf8), to: report + "/index.html")
        }
    }

    func compare(_ name: String, _ chosen: [Policy], _ seedList: [UInt64], _ m: MachineOptions, _ w: WorkloadOptions) throws -> CompareResult {
        let spec = try m.spec()
        let costs = try w.costs()
        // Fail fast on a bad workload or parameter, before any run.
        _ = try WorkloadOptions.make(name, w.params, try m.boot())
        let mem = spec.nodes.flatMap(\.zones).reduce(0) { $0 + $1.present } >> 8
        let plan = Compare.Plan(variants: chosen.map { Compare.Variant(label: $0.rawValue, policy: $0) }, workload: name,
                                makeWorkload: { try WorkloadOptions.make(name, w.params, $0) },
                                seeds: seedList, ops: w.ops, cost: costs,
                                machineDescription: "\(spec.cpuCount) CPUs, \(spec.nodes.count) node(s), \(mem) MiB",
                                machine: { v in try m.boot(extraSysctls: v.sysctls) })
        let tty = isatty(2) == 1
        return try Compare.run(plan) { done, total in
            if tty { FileHandle.standardError.write(Data("\rpcpsim compare: run \(done)/\(total)\(done == total ? "\n" : "")".utf8)) }
        }
    }

    func write(_ data: Data, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: data) else { throw UsageError("cannot write '\(path)'") }
    }
}

/// The side-by-side table: one row per metric, one column per policy.
enum CompareTable {
    static func render(_ r: CompareResult) -> String {
        var out = "workload \(r.workload)  machine \(r.machine)  seeds \(r.seeds.map(String.init).joined(separator: ","))  ops \(r.ops)\n"
        if let key = r.sweepParameter, let points = r.sweep {
            for p in points { out += "\n== \(key)=\(p.value)\n" + table(p.result) }
            return out
        }
        return out + table(r)
    }

    static func table(_ r: CompareResult) -> String {
        let width = 30
        var out = "metric".padding(toLength: 34, withPad: " ", startingAt: 0)
        for p in r.policies { out += p.policy.padding(toLength: width, withPad: " ", startingAt: 0) }
        out += "\n"
        for (key, _) in CompareResult.metricKeys {
            out += key.padding(toLength: 34, withPad: " ", startingAt: 0)
            for (k, p) in r.policies.enumerated() {
                let s = p.summary[key]!
                var cell = num(s.mean)
                // Spread below the doubles' rounding noise is no spread.
                if r.seeds.count > 1 { cell += " ±" + num(s.stddev <= abs(s.mean) * 1e-9 ? 0 : s.stddev) }
                if k > 0 { cell += " (" + (p.ratioToBaseline[key].map(ratio) ?? "×—") + ")" }
                out += cell.padding(toLength: width, withPad: " ", startingAt: 0)
            }
            out += "\n"
        }
        return out
    }

    static func num(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(Int(v)) }
        return String(format: abs(v) >= 100 ? "%.0f" : "%.3g", v)
    }

    static func ratio(_ v: Double) -> String { String(format: "×%.2f", v) }
}
