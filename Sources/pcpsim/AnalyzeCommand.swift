import ArgumentParser
import Foundation
import PCPAnalysis
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
    @OptionGroup var cost: CostOptions

    func run() throws {
        let costs = try cost.costs()
        if let seeds, seeds < 1 { throw UsageError("--seeds must be at least 1") }
        var cards: [Card] = []
        for f in try cardFiles() {
            do { cards.append(try Card.parse(TextFile.read(f), path: f)) } catch let e as Card.ParseError { throw UsageError(e.description) }
        }
        do { try Analyze.checkMetrics(cards) } catch let e as AnalyzeError { throw UsageError(e.description) }
        var totals: [Verdict: Int] = [:]
        for card in cards {
            let results: [ClaimResult]
            do {
                results = try Analyze.evaluate(card) { s in
                    do { return try Compare.run(s.plan(small: small, cost: costs, firstSeed: seed, seedCount: seeds)) } catch { throw UsageError("\(card.path): \(error)") }
                }
            } catch let e as AnalyzeError {
                throw UsageError(e.description)
            }
            for r in results { totals[r.verdict, default: 0] += 1 }
            print(Analyze.render(card, results))
        }
        print("\(totals[.confirmed] ?? 0) confirmed, \(totals[.refuted] ?? 0) refuted, \(totals[.inconclusive] ?? 0) inconclusive")
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
