import ArgumentParser
import Foundation
import PCPAnalysis
import PCPModel

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
    @Flag(help: "Run every claim at small scale (at most 4 CPUs and 1G, ops/20, one seed): for CI.")
    var small = false
    @Option(help: "Cost model file overriding the defaults.")
    var costModel: String?

    func run() throws {
        let files = try cardFiles()
        let cost = try WorkloadOptions.costs(costModel)
        var cards: [Card] = []
        for f in files {
            do { cards.append(try Card.parse(readText(f), path: f)) } catch let e as Card.ParseError { throw UsageError(e.description) }
        }
        let sample = try sampleMetrics()
        for card in cards {
            for c in card.claims {
                for e in c.expects {
                    do { _ = try Analyze.value(sample, e.metric, card.path, e.line) } catch let e as AnalyzeError { throw UsageError(e.description) }
                }
                guard c.untestable != nil || c.settings.workload != nil else { throw UsageError("\(card.path):\(c.line): claim has no workload:") }
            }
        }
        var totals: [Verdict: Int] = [:]
        for card in cards {
            let results: [ClaimResult]
            do { results = try Analyze.evaluate(card) { s in try runClaim(s, card, cost) } } catch let e as AnalyzeError {
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

    /// A tiny run whose metrics name every key a card may use.
    func sampleMetrics() throws -> RunMetrics {
        let m = try Machine(spec: .x86(memory: 64 << 20, cpus: 1))
        var w: Workload = RandomMix(machine: m)
        let e = Engine(machine: m, seed: 1)
        try e.run(&w, ops: 10)
        return e.metrics(policy: "baseline", workload: "random", seed: 1)
    }

    func runClaim(_ s: Card.Settings, _ card: Card, _ cost: CostModel) throws -> CompareResult {
        var m = try MachineOptions.parse([])
        var cpus = s.cpus ?? 8, memory = s.memory ?? "8G", ops = s.ops ?? 200_000, seeds = s.seeds ?? 2
        if small {
            cpus = min(cpus, 4)
            if (parseSize(memory) ?? 0) > 1 << 30 { memory = "1G" }
            ops = max(ops / 20, 5000)
            seeds = 1
        }
        m.cpus = cpus
        m.memory = memory
        m.nodes = min(s.nodes ?? 1, cpus)
        let variants = try (s.variants.isEmpty ? [Card.Variant(label: "baseline", policy: "baseline", sysctls: [])] : s.variants).map { v in
            guard let p = Policy(rawValue: v.policy) else { throw UsageError("\(card.path): unknown policy '\(v.policy)' in variants") }
            let sysctls = try v.sysctls.map { kv -> (String, String) in
                guard let eq = kv.firstIndex(of: "=") else { throw UsageError("\(card.path): variant sysctl '\(kv)' is not NAME=VALUE") }
                return (String(kv[..<eq]), String(kv[kv.index(after: eq)...]))
            }
            return Compare.Variant(label: v.label, policy: p, sysctls: sysctls)
        }
        let params = s.params.map { "\($0.key)=\($0.value)" }.sorted()
        let plan = Compare.Plan(variants: variants, workload: s.workload!, makeWorkload: { try WorkloadOptions.make(s.workload!, params, $0) },
                                seeds: (0..<seeds).map { UInt64(1 + $0) },
                                ops: ops, cost: cost, machineDescription: "\(cpus) CPUs, \(memory)", machine: { v in try m.boot(extraSysctls: v.sysctls) })
        do { return try Compare.run(plan) } catch let e as WorkloadParams.Error { throw UsageError("\(card.path): \(e.description)") }
    }
}
