import ArgumentParser
import Foundation
import PCPModel
import PCPScenario

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one simulation and print its lock_stat-style metrics (table, and JSON with --json).",
        discussion: """
        Example: pcpsim run --policy pcp-buddy --workload random --cpus 16 --memory 8G --ops 1000000 --json out.json
                 pcpsim run --scenario run.json          (what --save-scenario run.json wrote: the same run)
        JSON keys are stable: policy, workload, seed, ops, sim_seconds, throughput_pages_per_sim_s,
        pages_allocated, pages_freed, alloc_failures, locks.zone.*, locks.pcp.* (+ remote_acquisitions),
        zone_lock_pages_per_acquisition, merges.{zone_lock,pcp_lock}, pcp_pages.{mean,peak},
        free_pageblocks, unusable_index, fragmentation_index (keyed by order, thousandths), per_cpu,
        series, thp_fault_alloc, thp_fault_fallback, contig, pcp_reuse, refill_phase_pages, ownership.
        """
    )
    @OptionGroup var file: ScenarioOptions
    @OptionGroup var machine: MachineOptions
    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var runOptions: RunOptions
    @Option(help: "Write the metrics as JSON to this file ('-' for stdout, instead of the table).")
    var json: String?

    func run() throws {
        let s = try file.scenario(machine, workload, runOptions)
        guard s.workload != .none else { throw UsageError("--workload is required (known: \(Workloads.names.joined(separator: ", ")))") }
        guard let metrics = try s.run().metrics else { return }
        if let path = json {
            let data = try PrettyJSON.encode(metrics)
            if path == "-" { print(String(decoding: data, as: UTF8.self)); return }
            try TextFile.write(data, to: path)
        }
        print(MetricsTable.render(metrics), terminator: "")
    }
}

/// The terminal view of one run's metrics.
enum MetricsTable {
    static func render(_ m: RunMetrics) -> String {
        func f(_ v: Double) -> String { v >= 100 ? String(Int(v.rounded())) : String(format: "%.2f", v) }
        func row(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == 0 ? c.padding(toLength: 11, withPad: " ", startingAt: 0) : " " + String(repeating: " ", count: max(0, 15 - c.count)) + c }.joined() + "\n"
        }
        var out = "policy \(m.policy)  workload \(m.workload)  seed \(m.seed)  ops \(m.ops)  simulated \(String(format: "%.6f", m.simSeconds)) s\n"
        out += "throughput  \(f(m.throughputPagesPerSimS)) pages/simulated s  (allocated \(m.pagesAllocated), freed \(m.pagesFreed), failed allocations \(m.allocFailures))\n\n"
        out += row(["lock", "acquisitions", "contentions", "con-bounces", "acq-bounces", "wait-total", "wait-max", "hold-total", "hold-max"])
        for (name, l) in [("zone->lock", m.locks.zone), ("pcp->lock", m.locks.pcp)] {
            out += row([name, "\(l.acquisitions)", "\(l.contentions)", "\(l.conBounces)", "\(l.acqBounces)",
                        f(l.waitNsTotal), f(l.waitNsMax), f(l.holdNsTotal), f(l.holdNsMax)])
        }
        out += "(times in ns)  remote pcp->lock acquisitions \(m.locks.pcp.remoteAcquisitions ?? 0)\n\n"
        out += "zone->lock pages per acquisition  \(f(m.zoneLockPagesPerAcquisition))\n"
        out += "merge steps  under zone->lock \(m.merges.zoneLock)  under pcp->lock \(m.merges.pcpLock)\n"
        out += "pages on PCPs  mean \(f(m.pcpPages.mean))  peak \(m.pcpPages.peak)\n"
        out += "free pageblocks \(m.freePageblocks)  unusable index order 9: \(Double(m.unusableIndex["9"] ?? 0) / 1000)  fragmentation index order 9: \(Double(m.fragmentationIndex["9"] ?? 0) / 1000)\n"
        return out
    }
}
