import ArgumentParser
import Foundation
import PCPAnalysis
import PCPModel
import PCPScenario

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Split a comparison or an analysis into runs for GNU parallel, xargs or a Slurm job array, and merge their results.",
        discussion: """
        Example: pcpsim sweep plan patches/ --out sw -- --sensitivity
                 parallel -j 8 < sw/plan.txt            (or: xargs -P 8 -d '\\n' -n 1 sh -c < sw/plan.txt)
                 pcpsim sweep plan --out sw --slurm && sbatch sw/sweep.sbatch
                 pcpsim sweep plan --missing sw          (the runs still to do, after a killed job)
                 pcpsim sweep merge sw --report sw/report
        """,
        subcommands: [SweepPlanCommand.self, SweepRunCommand.self, SweepMergeCommand.self]
    )
}

struct SweepPlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Write the runs' commands (plan.txt, one per line), their scenarios and plan.json into a directory.",
        discussion: """
        SPEC is a card file or a directory of cards (the runs of `pcpsim analyze SPEC`), or a file holding
        a `compare ...` or `analyze ...` command line (its words, without `pcpsim`). Arguments after `--`
        are added to that command line. A line of plan.txt is the exact `pcpsim run` of one run, or a
        `pcpsim sweep run` of the runs that boot the same aged machine (so that it is aged once); each
        run writes its metrics atomically to DIR/runs/NAME.json.
        """
    )
    @Argument(help: "A card file or directory, or a file holding a compare/analyze command line (not needed with --missing).")
    var spec: String?
    @Option(help: "The directory to write the plan into (with --missing: the plan's directory).")
    var out: String?
    @Option(help: "Print only the runs of this plan directory that have no metrics yet (plan.txt lines).")
    var missing: String?
    @Flag(help: "Also write DIR/sweep.sbatch: a Slurm job array over the lines (each task takes every Nth line).")
    var slurm = false
    @Option(help: "With --slurm: the most array tasks (Slurm's MaxArraySize is 1001 by default).")
    var maxTasks: Int = 1000
    @Argument(parsing: .postTerminator, help: "More options for the compare or analyze command line.")
    var extra: [String] = []

    func run() throws {
        guard maxTasks >= 1 else { throw UsageError("--max-tasks must be at least 1") }
        let binary = CommandLine.arguments[0].hasPrefix("/") ? CommandLine.arguments[0]
            : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0]
        if let dir = missing.map(absolute) {
            let plan = try RunPlan.load(dir)
            let names = plan.missing(in: dir)
            let lines = plan.lines(binary: binary, dir: dir, only: Set(names))
            let text = lines.map { $0 + "\n" }.joined()
            if slurm {
                try TextFile.write(Data(text.utf8), to: dir + "/missing.txt")
                try SlurmScript.write(dir: dir, lines: dir + "/missing.txt", count: lines.count, maxTasks: maxTasks)
            }
            print(text, terminator: "")
            return
        }
        guard let spec else { throw UsageError("sweep plan needs a SPEC (a card file or directory, or a compare/analyze command line file)") }
        guard let dir = out.map(absolute) else { throw UsageError("sweep plan needs --out DIR") }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: spec, isDirectory: &isDir) else { throw UsageError("no spec '\(spec)'") }
        var args: [String]
        if isDir.boolValue || spec.hasSuffix(".card") {
            args = ["analyze", spec]
        } else {
            args = try TextFile.read(spec).split(separator: "\n").filter { !$0.hasPrefix("#") }
                .flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }) }.map(String.init)
            if args.first == "pcpsim" { args.removeFirst() }
        }
        args += extra
        let plan: RunPlan
        switch try PCPSim.parseAsRoot(args) {
        case let c as CompareCommand: plan = try c.makePlan()
        case let a as AnalyzeCommand: plan = try a.makePlan().0
        default: throw UsageError("\(spec): expected a compare or analyze command line")
        }
        if FileManager.default.fileExists(atPath: dir + "/plan.json") { throw UsageError("'\(dir)' already holds a plan: use a new directory, or --missing \(dir)") }
        let lines = try plan.write(to: dir, binary: binary)
        if slurm { try SlurmScript.write(dir: dir, lines: dir + "/plan.txt", count: lines, maxTasks: maxTasks) }
        print("\(plan.runs.count) runs in \(lines) lines of \(dir)/plan.txt")
    }

    func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p }
}

struct SweepRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Do some of a plan's runs in one process, writing each one's metrics to DIR/runs/NAME.json.",
        discussion: """
        plan.txt's line for the runs that boot the same aged machine: the first run ages it and the
        others restore its state, as `compare` and `analyze` do on local cores. Each run's metrics are
        the bytes its own `pcpsim run` line writes.
        """
    )
    @Argument(help: "The plan directory.")
    var dir: String
    @Argument(help: "Run names (plan.json's, as plan.txt gives them).")
    var runs: [String]

    func run() throws {
        let plan = try RunPlan.load(dir)
        var picked: [RunPlan.Run] = []
        for name in runs {
            guard let r = plan.runs.first(where: { $0.name == name }) else {
                throw UsageError("\(dir)/plan.json has no run '\(name)'; plan.txt names its runs")
            }
            picked.append(r)
        }
        var failed: [String] = []
        let scenarios = picked.map(\.scenario)
        for g in RunPlan.bootGroups(scenarios) {
            LocalRunner.runGroup(scenarios, g) { i, outcome in
                do {
                    try TextFile.write(PrettyJSON.encode(outcome.get()), to: dir + "/runs/" + picked[i].name + ".json")
                } catch {
                    FileHandle.standardError.write(Data("pcpsim: run \(picked[i].name): \(error)\n".utf8))
                    failed.append(picked[i].name)
                }
            }
        }
        if !failed.isEmpty { throw UsageError("\(failed.count) of \(picked.count) runs failed: \(failed.joined(separator: ", "))") }
    }
}

struct SweepMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join a plan's per-run metrics into what compare or analyze prints, writes and reports.",
        discussion: "Fails, naming them, when runs are missing or broken; `pcpsim sweep plan --missing DIR` lists them to run again."
    )
    @Argument(help: "The plan directory.")
    var dir: String
    @Option(help: "A compare plan: write the comparison as JSON to this file.")
    var json: String?
    @Option(help: "Write the HTML report into this directory.")
    var report: String?

    func run() throws {
        let plan = try RunPlan.load(dir)
        let (metrics, missing, broken) = Merge.load(plan, dir: dir)
        if !missing.isEmpty || !broken.isEmpty {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("\(missing.count) missing (not run, or failed): \(missing.joined(separator: ", "))") }
            if !broken.isEmpty { parts.append("\(broken.count) not a run's metrics: \(broken.joined(separator: ", "))") }
            throw UsageError("\(dir): \(missing.count + broken.count) of \(plan.runs.count) runs have no metrics; \(parts.joined(separator: "; ")); `pcpsim sweep plan --missing \(dir)` lists them")
        }
        switch plan.kind {
        case .compare:
            try CompareCommand.emit(Merge.compareResult(plan, metrics), json: json, report: report)
        case .analyze:
            let cards = try AnalyzeCommand.parseCards(plan.cards ?? [], read: plan.cardFiles)
            try AnalyzeCommand.emit(plan, cards, metrics, report: report)
        }
    }
}

/// The Slurm batch script of a plan: a job array whose task K runs lines K+1, K+1+N, ... of
/// the lines file, N the number of tasks.
enum SlurmScript {
    static func write(dir: String, lines: String, count: Int, maxTasks: Int) throws {
        let tasks = max(1, min(count, maxTasks))
        let text = """
            #!/bin/bash
            #SBATCH --job-name=pcpsim-sweep
            #SBATCH --array=0-\(tasks - 1)
            #SBATCH --ntasks=1
            #SBATCH --cpus-per-task=1
            #SBATCH --output=\(dir)/slurm-%A_%a.out
            # One pcpsim run per line of \(lines); task K takes lines K+1, K+1+\(tasks), ...
            set -u
            lines='\(lines)'
            n=$(wc -l < "$lines")
            i=${SLURM_ARRAY_TASK_ID:?this script runs as a Slurm array task}
            status=0
            while [ "$i" -lt "$n" ]; do
              sh -c "$(sed -n "$((i + 1))p" "$lines")" || status=1
              i=$((i + \(tasks)))
            done
            exit $status

            """
        try TextFile.write(Data(text.utf8), to: dir + "/sweep.sbatch")
    }
}
