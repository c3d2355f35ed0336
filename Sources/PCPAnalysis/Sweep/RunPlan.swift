import Foundation
import PCPModel
import PCPScenario

/// Every run a comparison or an analysis needs, by name, and how their metrics join back into
/// comparisons. `compare` and `analyze` build one and run it on local cores; `pcpsim sweep plan`
/// writes the same one to a directory (plan.json, one scenario file per run, and plan.txt with one
/// command per line: a run, or the runs of one aged machine) for GNU parallel, xargs or a Slurm job
/// array.
public struct RunPlan: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case compare, analyze }

    /// One comparison: its variants' runs, seed by seed.
    public struct Comparison: Codable, Sendable, Equatable {
        public struct Column: Codable, Sendable, Equatable {
            public var label: String
            /// Run names in seed order.
            public var runs: [String]
        }
        public var workload: String
        public var machine: String
        public var seeds: [UInt64]
        public var columns: [Column]
        /// With a sweep: the swept value this comparison is at.
        public var sweepValue: String?
        /// For an analysis: the card (index into `cards`), the claim (index in the card) and the
        /// condition (nil: the claim's own settings; else e.g. "cpus=32", "pcp_lock_ns×2").
        public var card: Int?
        public var claim: Int?
        public var condition: String?
        enum CodingKeys: String, CodingKey { case workload, machine, seeds, columns, sweepValue = "sweep_value", card, claim, condition }
    }

    public struct Run: Codable, Sendable, Equatable {
        public var name: String
        public var scenario: Scenario
    }

    public var kind: Kind
    public var comparisons: [Comparison] = []
    public var runs: [Run] = []
    /// A compare with --sweep: the swept parameter.
    public var sweepParameter: String?
    /// An analysis: its card files, as given.
    public var cards: [String]?
    /// The same card files as absolute paths, to read them from anywhere.
    public var cardFiles: [String]?
    enum CodingKeys: String, CodingKey { case kind, comparisons, runs, sweepParameter = "sweep_parameter", cards, cardFiles = "card_files" }

    public init(kind: Kind) { self.kind = kind }

    /// Adds a comparison of `plan`'s variants over its seeds; run names start with `prefix`.
    public mutating func add(_ plan: Compare.Plan, prefix: String, sweepValue: String? = nil,
                             card: Int? = nil, claim: Int? = nil, condition: String? = nil) {
        var columns: [Comparison.Column] = []
        for v in plan.variants {
            var names: [String] = []
            for seed in plan.seeds {
                var s = v.scenario
                s.seed = seed
                s.seriesPoints = s.seriesPoints ?? Compare.seriesPoints
                let name = RunPlan.fileName("\(prefix)\(v.label)-seed\(seed)")
                runs.append(Run(name: name, scenario: s))
                names.append(name)
            }
            columns.append(Comparison.Column(label: v.label, runs: names))
        }
        comparisons.append(Comparison(workload: plan.variants.first?.scenario.workload.description ?? "none", machine: plan.machineDescription,
                                      seeds: plan.seeds, columns: columns, sweepValue: sweepValue, card: card, claim: claim, condition: condition))
    }

    /// Runs the same scenario once: two claims that compare the same workload on the same machine
    /// (with different metrics) share their runs, and the later comparisons name the first run.
    /// A run depends only on its scenario, so sharing changes no figure.
    public mutating func shareIdenticalRuns() {
        var first: [Data: String] = [:]
        var rename: [String: String] = [:]
        var kept: [Run] = []
        for r in runs {
            let key = (try? PrettyJSON.encode(r.scenario)) ?? Data(r.name.utf8)
            if let name = first[key] { rename[r.name] = name } else { first[key] = r.name; kept.append(r) }
        }
        guard !rename.isEmpty else { return }
        runs = kept
        for c in comparisons.indices {
            for k in comparisons[c].columns.indices {
                comparisons[c].columns[k].runs = comparisons[c].columns[k].runs.map { rename[$0] ?? $0 }
            }
        }
    }

    /// A name safe as a file name on any cluster file system.
    static func fileName(_ s: String) -> String {
        String(s.map { $0.isLetter || $0.isNumber || "-_.=".contains($0) ? $0 : "_" })
    }

    // MARK: On disk

    /// The command that does one run, writing its metrics to the plan directory.
    public static func command(binary: String, dir: String, run: String) -> String {
        "\(shellQuote(binary)) run --scenario \(shellQuote(dir + "/scenarios/" + run + ".json")) --json \(shellQuote(dir + "/runs/" + run + ".json")) --quiet"
    }

    /// Writes plan.json, scenarios/NAME.json, runs/ and plan.txt into `dir`; returns plan.txt's
    /// number of lines.
    @discardableResult
    public func write(to dir: String, binary: String) throws(UsageError) -> Int {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: dir + "/scenarios", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: dir + "/runs", withIntermediateDirectories: true)
        } catch { throw UsageError("cannot create '\(dir)': \(error.localizedDescription)") }
        do {
            for r in runs { try ScenarioFile.save(r.scenario, to: dir + "/scenarios/" + r.name + ".json") }
            try TextFile.write(PrettyJSON.encode(self), to: dir + "/plan.json")
            let commands = lines(binary: binary, dir: dir, only: nil)
            try TextFile.write(Data(commands.map { $0 + "\n" }.joined().utf8), to: dir + "/plan.txt")
            return commands.count
        } catch let e as UsageError { throw e } catch { throw UsageError("\(error)") }
    }

    /// The command that does several runs in one process (`pcpsim sweep run`): runs that boot the
    /// same aged machine, which it then ages once.
    public static func command(binary: String, dir: String, runs: [String]) -> String {
        "\(shellQuote(binary)) sweep run \(shellQuote(dir)) " + runs.map(shellQuote).joined(separator: " ")
    }

    /// plan.txt's lines, for `only` these runs (nil: all): each aged machine's runs on one line,
    /// every other run on a line of its own.
    public func lines(binary: String, dir: String, only: Set<String>?) -> [String] {
        let picked = runs.filter { only?.contains($0.name) ?? true }
        return RunPlan.bootGroups(picked.map(\.scenario)).map { g in
            g.count == 1 ? RunPlan.command(binary: binary, dir: dir, run: picked[g[0]].name)
                : RunPlan.command(binary: binary, dir: dir, runs: g.map { picked[$0].name })
        }
    }

    /// The runs in groups, each in plan order and the groups in the order of their first run:
    /// the aged runs with equal boot keys (`Scenario.agedBootKey`) together, every other run alone.
    public static func bootGroups(_ scenarios: [Scenario]) -> [[Int]] {
        var groups: [[Int]] = [], keys: [(key: Scenario, group: Int)] = []
        for (i, s) in scenarios.enumerated() {
            guard let k = s.agedBootKey else { groups.append([i]); continue }
            if let g = keys.first(where: { $0.key == k })?.group {
                groups[g].append(i)
            } else {
                keys.append((k, groups.count))
                groups.append([i])
            }
        }
        return groups
    }

    /// The plan a directory holds.
    public static func load(_ dir: String) throws(UsageError) -> RunPlan {
        let text = try TextFile.read(dir + "/plan.json")
        do { return try JSONDecoder().decode(RunPlan.self, from: Data(text.utf8)) } catch {
            throw UsageError("\(dir)/plan.json: not a plan (\(error)); `pcpsim sweep plan` writes one")
        }
    }

    /// The runs whose metrics file is not in `dir`/runs yet (not run, still running, or failed).
    public func missing(in dir: String) -> [String] {
        runs.map(\.name).filter { !FileManager.default.fileExists(atPath: dir + "/runs/" + $0 + ".json") }
    }

    static func shellQuote(_ s: String) -> String {
        s.allSatisfy({ $0.isLetter || $0.isNumber || "/-_.=+,:@".contains($0) }) ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
