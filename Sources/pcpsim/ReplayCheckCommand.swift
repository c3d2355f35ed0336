import ArgumentParser
import Foundation
import PCPScenario

struct ReplayCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay-check",
        abstract: "Replay a kernel's kmem capture and compare its refill and drain runs, then its final state.",
        discussion: """
        Example: pcpsim replay-check fixtures/trace-6.18/two-cpus/trace.gz
        Per CPU and per kind (refill, drain): the kernel's and the replay's run lengths and the
        first divergence; then pages free per zone and each CPU's PCP count and high against a
        zoneinfo read after the capture. Without --like-zoneinfo, the files scripts/capture
        leaves next to the trace are used: zoneinfo-before.txt, pagetypeinfo-before.txt (when
        present) with --pcp-state-list trace, and zoneinfo-after.txt.
        Exit status 0: identical; 1: some run or figure differs.
        """
    )
    @Argument(help: "The kernel's capture (ftrace text, .gz read through gzip).")
    var trace: String
    @OptionGroup var file: ScenarioOptions
    @OptionGroup var machine: MachineOptions
    @OptionGroup var workload: WorkloadOptions
    @Option(help: "A /proc/zoneinfo read at the capture's end (default: zoneinfo-after.txt next to the trace, if there).")
    var afterZoneinfo: String?

    func run() throws {
        var s = try file.scenario(machine, workload)
        s.workload = .trace(trace)
        let dir = (trace as NSString).deletingLastPathComponent
        func sibling(_ name: String) -> String? {
            let p = (dir.isEmpty ? name : dir + "/" + name)
            return FileManager.default.isReadableFile(atPath: p) ? p : nil
        }
        if case .x86 = s.machine, machine.likeZoneinfo == nil, machine.machine == nil, let z = sibling("zoneinfo-before.txt") {
            s.machine = .imported(ImportedMachine(zoneinfo: z, pagetypeinfo: sibling("pagetypeinfo-before.txt"), pcpState: .trace))
        }
        let after = try (afterZoneinfo ?? sibling("zoneinfo-after.txt")).map { p throws(UsageError) in try TextFile.read(p) }
        let report = try ReplayCheck.check(s, afterZoneinfo: after)
        print(ReplayCheck.render(report), terminator: "")
        if !report.identical { throw ExitCode(1) }
    }
}
