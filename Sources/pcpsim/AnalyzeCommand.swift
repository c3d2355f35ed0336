import ArgumentParser
import Foundation
import PCPAnalysis
import PCPModel
import PCPScenario

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Check the claims of patch cards by simulation: CONFIRMED, REFUTED or INCONCLUSIVE with the numbers.",
        discussion: """
        Example: pcpsim analyze patches/            (every card, at the scale each claim names)
                 pcpsim analyze patches/rfc-pcp-buddy-2.card --small
        The card format is described in patches/README.md. A refuted claim is a finding about the
        change, not a bug in the model.
        """
    )
    @Argument(help: "A card file, or a directory of *.card files.")
    var path: String
    @Flag(help: "Run every claim at small scale (at most 4 CPUs and 1G, ops/20): for CI.")
    var small = false
    @Option(help: "Seeds per claim (default: the card's seeds:, else \(Card.Settings.defaultSeeds)).")
    var seeds: Int?
    @Option(help: "The first seed (the claim runs seed, seed+1, ...).")
    var seed: UInt64 = 1
    @Flag(help: "Re-judge every claim at 8, 32, 128 and 256 CPUs, with each cost constant at ×0.5 and ×2, and each workload parameter at half and double; say where it holds and where it flips.")
    var sensitivity = false
    @Option(help: "Seeds per sensitivity condition (default \(Card.Settings.defaultConditionSeeds), or fewer if the claim runs fewer).")
    var sensitivitySeeds: Int?
    @Option(help: "Write a self-contained HTML report (index.html, with the verdict map under --sensitivity) into this directory.")
    var report: String?
    @Option(help: "Run every claim this many simulated seconds instead of its operations (the card's duration: does the same per claim).")
    var duration: Double?
    @Option(help: "Runs at once on this machine (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @OptionGroup var cost: CostOptions

    func run() throws {
        guard jobs >= 1 else { throw UsageError("--jobs must be at least 1") }
        let (plan, cards) = try makePlan()
        let tty = isatty(2) == 1
        let metrics = try LocalRunner.run(plan, jobs: jobs) { done, total in
            if tty { FileHandle.standardError.write(Data("\rpcpsim analyze: run \(done)/\(total)\(done == total ? "\n" : "")".utf8)) }
        }
        try AnalyzeCommand.emit(plan, cards, metrics, report: report)
    }

    /// The cards and every run their claims need, as `pcpsim sweep plan` writes them too.
    func makePlan() throws -> (RunPlan, [Card]) {
        let costs = try cost.costs()
        if let seeds, seeds < 1 { throw UsageError("--seeds must be at least 1") }
        if let sensitivitySeeds, sensitivitySeeds < 1 { throw UsageError("--sensitivity-seeds must be at least 1") }
        let files = try cardFiles()
        let cards = try AnalyzeCommand.parseCards(files)
        do { try Analyze.checkMetrics(cards) } catch let e as AnalyzeError { throw UsageError(e.description) }
        var o = AnalyzePlan.Options()
        if let duration, !(duration > 0 && duration.isFinite) { throw UsageError("--duration must be a positive number of simulated seconds") }
        o.small = small; o.cost = costs; o.firstSeed = seed; o.seedCount = seeds; o.sensitivity = sensitivity; o.duration = duration
        o.conditionSeedCount = sensitivitySeeds
        var plan = try AnalyzePlan.build(cards, paths: files, o)
        let cwd = FileManager.default.currentDirectoryPath
        plan.cardFiles = files.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 }
        return (plan, cards)
    }

    static func parseCards(_ files: [String], read: [String]? = nil) throws -> [Card] {
        try zip(files, read ?? files).map { f, r in
            do { return try Card.parse(TextFile.read(r), path: f) } catch let e as Card.ParseError { throw UsageError(e.description) }
        }
    }

    /// Prints the verdicts and writes the report: what analyze and sweep merge print.
    static func emit(_ plan: RunPlan, _ cards: [Card], _ metrics: [String: RunMetrics], report: String?) throws {
        let judged: [(Card, [ClaimResult], [[Sensitivity.Cell]])]
        do { judged = try AnalyzePlan.results(plan, cards, metrics) } catch let e as AnalyzeError { throw UsageError(e.description) }
        print(AnalyzePlan.render(judged, sensitivity: plan.comparisons.contains { $0.condition != nil }), terminator: "")
        if let report {
            try FileManager.default.createDirectory(atPath: report, withIntermediateDirectories: true)
            try TextFile.write(Data(VerdictMap.render(judged).utf8), to: report + "/index.html")
        }
    }

    func cardFiles() throws -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw UsageError("no card or directory '\(path)'") }
        guard isDir.boolValue else { return [path] }
        let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".card") }.sorted()
        guard !names.isEmpty else { throw UsageError("no *.card files in '\(path)'") }
        return names.map { (path.hasSuffix("/") ? path : path + "/") + $0 }
    }
}
