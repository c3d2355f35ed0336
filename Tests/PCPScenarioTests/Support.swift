import Foundation
import PCPModel
import PCPScenario

enum Support {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// A fresh directory under the temporary directory.
    static func tempDir(_ name: String) -> String {
        let d = NSTemporaryDirectory() + "pcpsim-scenario-\(getpid())-\(name)"
        try? FileManager.default.removeItem(atPath: d)
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// A small machine running a workload for a few thousand operations.
    static func small(_ workload: String = "jemalloc-purge", policy: Policy = .pcpBuddy) -> Scenario {
        var s = Scenario()
        s.machine = .x86(X86Machine(memory: try! ByteSize(parsing: "512M"), cpus: 4))
        s.policy = policy
        s.workload = WorkloadName(workload)!
        s.duration = .ops(5000)
        return s
    }

    /// A scenario with every field away from its default.
    static func everything() -> Scenario {
        var s = Scenario()
        s.machine = .imported(ImportedMachine(zoneinfo: "fixtures/zoneinfo.txt", pagetypeinfo: "fixtures/pagetypeinfo.txt", pcpState: .trace))
        s.knobs = [KnobSetting(name: "vm.min_free_kbytes", value: "67584", origin: "--sysctl"),
                   KnobSetting(name: "vm.watermark_scale_factor", value: "20", origin: "sysctl.conf:3")]
        s.policy = .blockEconomy
        s.policyOptions.remoteFreeLock = .trylock
        s.policyOptions.phase2Chunk = .smallest
        s.policyOptions.contigPCP = .takeFromPCP
        s.workload = .trace("fixtures/kmem-trace-excerpt.txt")
        s.seed = 12345678901234
        s.duration = .ops(4242)
        s.untilSeconds = 2.5
        s.cost.bounceNs = 75.5
        s.cost.pcpLockNs = 8.3
        s.vmstatPhaseMs = 7
        s.traceOut = "out/trace.txt"
        s.checkEvery = 100
        s.seriesPoints = 50
        s.excludeWarmup = true
        s.swap = try? ByteSize(parsing: "2G")
        return s
    }
}
