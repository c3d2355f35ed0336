import ArgumentParser
import Foundation
import PCPAnalysis
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
    @OptionGroup var state: StateOptions
    @Option(help: "Write the metrics as JSON to this file ('-' for stdout, instead of the table).")
    var json: String?
    @Flag(help: "Print no table (with --json FILE: as the lines of a sweep plan run).")
    var quiet = false

    func run() throws {
        let s = try file.scenario(machine, workload, runOptions)
        guard s.workload != .none || state.resuming else { throw UsageError("--workload is required (known: \(Workloads.names.joined(separator: ", ")))") }
        guard let metrics = try state.run(s).metrics else { return }
        if let path = json {
            let data = try PrettyJSON.encode(metrics)
            if path == "-" { print(String(decoding: data, as: UTF8.self)); return }
            try TextFile.write(data, to: path)
        }
        if quiet { return }
        print(MetricsTable.render(metrics), terminator: "")
    }
}
