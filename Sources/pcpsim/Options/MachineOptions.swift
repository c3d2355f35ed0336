import ArgumentParser
import PCPModel
import PCPRender
import PCPScenario

/// The machine, how it boots and which policy runs: shared by every command that simulates one.
/// Each option given changes the scenario; one not given leaves it as it is.
struct MachineOptions: ParsableArguments, ScenarioPart {
    @Option(help: "RAM size, e.g. 16G, 512M, 1T (default: \(X86Machine.defaultMemory)).", transform: ByteSize.argument)
    var memory: ByteSize?
    @Option(help: "Number of CPUs (default: \(X86Machine().cpus)).")
    var cpus: Int?
    @Option(help: "Number of NUMA nodes, memory and CPUs split evenly (default: \(X86Machine().nodes)).")
    var nodes: Int?
    @Option(help: "Per-CPU last-level cache slice in KiB (sets PCPF_FREE_HIGH_BATCH when above 3 batches; default 0: not reported).")
    var cpuDataSliceKB: Int?
    @Option(name: .customLong("like-zoneinfo"), help: "Copy zone geometry and CPU count from a real /proc/zoneinfo.")
    var likeZoneinfo: String?
    @Option(help: "A saved machine description (JSON, as `pcpsim machine` prints).")
    var machine: String?
    @Option(name: .customLong("sysctl"), help: "A knob applied at boot, e.g. vm.min_free_kbytes=67584 or sys.kernel.mm.pcpsim.policy=pcp-buddy (repeatable, applied in order).")
    var sysctls: [String] = []
    @Option(help: "A sysctl.conf-style file of vm.* knobs applied at boot, before any --sysctl.")
    var sysctlFile: String?
    @Flag(help: "With --like-zoneinfo: start each CPU's PCPs at that zoneinfo's count and high, and each zone at its pages free (for replaying a trace taken after it).")
    var pcpStateFromZoneinfo = false
    @Option(name: .customLong("like-pagetypeinfo"), help: "With --like-zoneinfo: rebuild every zone's free lists and pageblock types from this /proc/pagetypeinfo.")
    var likePagetypeinfo: String?
    @Option(help: "Milliseconds until the first vmstat_update (decay, counter folds); default: one stat_interval.")
    var vmstatPhaseMs: Int?
    @Option(help: "With --pcp-state-from-zoneinfo: the order-0 list the preset pages go to (zoneinfo does not say; default: movable), or trace to infer each list's length from the trace being replayed.")
    var pcpStateList: PCPStateList?
    @Option(help: "Simulated uptime before the workload, e.g. 600s, 10m (the lived-in workload: page cache down to the watermarks, long-lived processes, slab, fragmentation); 0: a fresh machine.")
    var age: String?
    @Option(help: "A swap device of this size, e.g. 2G (default: none): anonymous memory of the workloads that map swappable areas (memhog) can be reclaimed to it.", transform: ByteSize.argument)
    var swap: ByteSize?
    @Option(help: "Allocator design (default: \(Scenario().policy.rawValue)).")
    var policy: Policy?
    @Option(help: "pcp-buddy/block-economy: how a routed free takes the owner's pcp->lock (default: spin).")
    var remoteFreeLock: PCPBuddyOptions.RemoteFreeLock?
    @Option(help: "pcp-buddy: phase 2 takes the largest chunk first, or the smallest larger than the request (default: largest).")
    var phase2Chunk: Phase2Chunk?
    @Option(help: "alloc_contig_range and PCP-held pages of its range: drain-all (6.18, the RFC), pcp-disable (zone_pcp_disable), take-from-pcp (isolation takes them off their PCP) (default: drain-all).")
    var contigPCP: PCPBuddyOptions.ContigPCP?

    func apply(to s: inout Scenario) throws {
        if let z = likeZoneinfo {
            s.machine = .imported(ImportedMachine(zoneinfo: z))
        } else if let path = machine {
            s.machine = .saved(path: path)
        } else if memory != nil || cpus != nil || nodes != nil || cpuDataSliceKB != nil {
            var x = X86Machine()
            if case .x86(let current) = s.machine { x = current }
            x.memory = memory ?? x.memory
            x.cpus = cpus ?? x.cpus
            x.nodes = nodes ?? x.nodes
            x.cpuDataSliceKB = cpuDataSliceKB ?? x.cpuDataSliceKB
            s.machine = .x86(x)
        }
        if pcpStateFromZoneinfo || pcpStateList != nil {
            let current: PCPStateList?
            if case .imported(let i) = s.machine { current = i.pcpState } else { current = nil }
            guard pcpStateFromZoneinfo || current != nil else { throw UsageError("--pcp-state-list needs --pcp-state-from-zoneinfo") }
            guard case .imported(var i) = s.machine else { throw UsageError("--pcp-state-from-zoneinfo needs --like-zoneinfo FILE") }
            i.pcpState = pcpStateList ?? i.pcpState ?? .movable
            s.machine = .imported(i)
        }
        if let path = likePagetypeinfo {
            guard case .imported(var i) = s.machine else { throw UsageError("--like-pagetypeinfo needs --like-zoneinfo FILE") }
            i.pagetypeinfo = path
            s.machine = .imported(i)
        }
        if let path = sysctlFile { s.knobs += try KnobSetting.file(TextFile.read(path), path: path) }
        s.knobs += try sysctls.map { kv throws(UsageError) in try KnobSetting(assignment: kv, origin: "--sysctl") }
        if let policy { s.policy = policy }
        if let remoteFreeLock { s.policyOptions.remoteFreeLock = remoteFreeLock }
        if let phase2Chunk { s.policyOptions.phase2Chunk = phase2Chunk }
        if let contigPCP { s.policyOptions.contigPCP = contigPCP }
        if let vmstatPhaseMs { s.vmstatPhaseMs = vmstatPhaseMs }
        if let age {
            guard let v = Scenario.parseAge(age) else { throw UsageError("--age '\(age.prefix(80))': expected simulated seconds such as 600s, 10m or 1h (0 to a day)") }
            s.age = v
        }
        if let swap { s.swap = swap }
    }
}
