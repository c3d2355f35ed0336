import Foundation
import PCPAnalysis
import PCPModel
import PCPRender
import PCPScenario

/// What each fuzz target does with one input: parse it as pcpsim would, and when it parses,
/// go on as pcpsim would (boot the machine it describes, apply it, run it), on small machines
/// so an input costs milliseconds. An error is a fine outcome; a crash is the bug.
public enum FuzzTargets {
    /// One input: its bytes and their count (libFuzzer's LLVMFuzzerTestOneInput).
    public typealias Target = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    /// Runs libFuzzer on `target` with the process's arguments, then exits with its status.
    /// (SwiftPM names an executable's entry point itself, so libFuzzer's own main is not used.)
    public static func fuzz(_ target: Target) -> Never {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(runDriver(&argc, &argv, target))
    }

    @_silgen_name("LLVMFuzzerRunDriver")
    static func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                          _ target: Target) -> CInt

    static func text(_ b: UnsafeBufferPointer<UInt8>) -> String { String(decoding: b, as: UTF8.self) }

    /// A per-process scratch directory: the scenario layer reads machines and traces from files.
    static let dir: String = {
        let d = NSTemporaryDirectory() + "pcpsim-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }()

    static func file(_ name: String, _ b: UnsafeBufferPointer<UInt8>) -> String {
        let p = dir + "/" + name
        _ = FileManager.default.createFile(atPath: p, contents: Data(b))
        return p
    }

    /// The smallest x86 machine: 64 MiB, 2 CPUs.
    static func small() -> Scenario {
        var s = Scenario()
        s.machine = .x86(X86Machine(memory: try! ByteSize(parsing: "64M"), cpus: 2))
        return s
    }

    /// A machine small enough to boot for every input (about 2 GiB, 64 CPUs).
    static func bootable(_ spec: MachineSpec) -> Bool {
        (try? spec.validate()) != nil && spec.spannedPages <= 1 << 19 && spec.cpuCount <= 64
    }

    static func run(_ s: Scenario, ops: Int = 2000) {
        var s = s
        s.duration = .ops(ops)
        _ = try? s.run()
    }

    public static func zoneinfo(_ b: UnsafeBufferPointer<UInt8>) {
        let t = text(b)
        _ = ZoneinfoImport.pcpState(t)
        _ = ZoneinfoImport.freePages(t)
        guard let spec = try? ZoneinfoImport.parse(t), bootable(spec) else { return }
        var s = Scenario()
        s.machine = .imported(ImportedMachine(zoneinfo: file("zoneinfo", b), pcpState: .movable))
        _ = try? s.boot(note: { _ in })
    }

    /// The zoneinfo of the smallest machine, that fuzzed pagetypeinfo files shape.
    static let smallZoneinfo: String = {
        let s = small()
        let m = try! s.boot()
        let p = dir + "/small-zoneinfo"
        _ = FileManager.default.createFile(atPath: p, contents: Data(Zoneinfo.render(m.snapshot()).utf8))
        return p
    }()

    public static func pagetypeinfo(_ b: UnsafeBufferPointer<UInt8>) {
        guard (try? ZoneinfoImport.pagetypeinfo(text(b))) != nil else { return }
        var s = Scenario()
        s.machine = .imported(ImportedMachine(zoneinfo: smallZoneinfo, pagetypeinfo: file("pagetypeinfo", b)))
        _ = try? s.boot(note: { _ in })
    }

    /// Replays what parses on the smallest machine, when it spans at most an hour: a replay
    /// ticks through its idle time (100 idle days cost 118 s in this build, past the 20 s
    /// timeout), and an input should cost milliseconds.
    public static func trace(_ b: UnsafeBufferPointer<UInt8>) {
        guard let c = try? TraceText.capture(text(b), cpus: 2),
              max(c.endNs, c.records.lazy.map(\.timeNs).max() ?? 0) <= 3_600_000_000_000 else { return }
        var s = small()
        s.workload = .trace(file("trace", b))
        run(s)
    }

    /// A gzipped trace, as `trace:FILE.gz` reads it (through gzip).
    public static func traceGz(_ b: UnsafeBufferPointer<UInt8>) {
        guard let t = try? TraceFile.read(file("trace.gz", b)) else { return }
        _ = try? TraceText.records(t, cpus: 2)
    }

    /// A machine description, as `--machine FILE` reads it; booted when small.
    public static func machineJson(_ b: UnsafeBufferPointer<UInt8>) {
        guard let spec = try? JSONDecoder().decode(MachineSpec.self, from: Data(b)), bootable(spec) else { return }
        var s = Scenario()
        s.machine = .saved(path: file("machine.json", b))
        _ = try? s.boot()
    }

    /// A sysctl.conf, as `--sysctl-file` reads it: every setting applied at boot.
    public static func sysctlFile(_ b: UnsafeBufferPointer<UInt8>) {
        guard let knobs = try? KnobSetting.file(TextFile.normalizingLineEnds(text(b)), path: "fuzz"), !knobs.isEmpty else { return }
        var s = small()
        s.knobs = knobs
        _ = try? s.boot()
    }

    /// A cost model, as `--cost-model` reads it; a short run with it.
    public static func costModel(_ b: UnsafeBufferPointer<UInt8>) {
        guard let cost = try? CostModel.parse(TextFile.normalizingLineEnds(text(b))) else { return }
        var s = small()
        s.workload = .builtin("random")
        s.cost = cost
        run(s, ops: 500)
    }

    /// A patch card: parsed, each claim planned, the metrics it names checked.
    public static func card(_ b: UnsafeBufferPointer<UInt8>) {
        guard let card = try? Card.parse(TextFile.normalizingLineEnds(text(b)), path: "fuzz.card") else { return }
        for c in card.claims { _ = try? c.settings.plan(small: true, cost: CostModel()) }
        _ = try? Analyze.checkMetrics([card])
    }

    /// A patch or mbox, as `pcpsim patch inspect` reads and prints it.
    public static func patch(_ b: UnsafeBufferPointer<UInt8>) {
        guard let p = try? PatchInspection(parsing: text(b)) else { return }
        _ = p.render()
    }

    /// A state file, as `--from-state` and a mount's `--state` read it: first as it is (the
    /// envelope's checks), then sealed (this version, its length, its checksum) so that the
    /// fuzzer's changes reach the state itself. What loads is resumed as a mount resumes it
    /// (the engine, the mount's own section), every file rendered, and run on a little.
    public static func stateFile(_ b: UnsafeBufferPointer<UInt8>) {
        _ = try? MachineState.load(file("state", b), note: { _ in })
        guard b.count >= StateFile.headerBytes else { return }
        let payload = Array(b[StateFile.headerBytes...])
        // Machines of any size load (the lazy page store makes a terabyte cheap), but those the
        // other targets would not boot are left there: what runs afterwards grows with them.
        guard let (_, spec) = try? MachineState.header(ofPayload: payload), bootable(spec) else { return }
        let sealed = StateFile.encode(payload)
        guard let st = try? MachineState.load(sealed.withUnsafeBufferPointer { file("sealed", $0) }, note: { _ in }) else { return }
        let e = Engine(machine: st.machine, seed: st.scenario.seed, cost: st.scenario.cost)
        var controls = MountControls()
        do {
            try st.restore(e)
            try st.finish(readsExtra: true) { c throws(CheckpointError) in try c.sync(fields: &controls) }
        } catch { return }
        var snapshot = st.machine.snapshot()
        snapshot.locks = e.locks
        snapshot.cpu = e.cpuTimes
        snapshot.bootTime = controls.bootTime
        for f in ProcFiles.all(for: st.machine) { _ = f.render(snapshot) }
        guard var w = st.workload else { return }
        _ = try? e.run(&w, ops: 300)
    }

    /// Writes the seeds of `stateFile` into `dir`: small machines (64 MiB, 2 CPUs) saved by
    /// the code pcpsim saves with, after a few hundred operations of each kind of workload
    /// state (held blocks, per-CPU arenas, page cache, compaction, anon areas with swap, a
    /// mount's section, none), so they are always of this build's format.
    public static func writeStateSeeds(to dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let cases: [(String, String, [String: String], Bool)] = [
            ("random", "random", [:], false),
            ("kbuild-contig", "mix:kbuild+contig", [:], false),
            ("jemalloc", "jemalloc-purge", ["heap": "20"], false),
            ("stream", "stream", ["order": "0", "file_mb": "96", "rate": "100000"], false),
            ("fragment", "fragment", ["mib": "24", "thps": "6", "madvise": "1"], false),
            ("memhog-swap", "memhog", ["mb": "80"], false),
            ("mount", "random", [:], true),
        ]
        for (name, workload, params, mount) in cases {
            var s = small()
            s.workload = WorkloadName(workload)!
            s.params = params
            s.seed = 7
            s.duration = .ops(400)
            if name == "memhog-swap" { s.swap = try ByteSize(parsing: "32M") }
            let r = try s.run()
            var w = r.workload
            var controls = MountControls()
            try controls.setPace(3)
            try controls.setEvent("mm_page_alloc", 1)
            let bytes = try MachineState.save(scenario: r.scenario, machine: r.machine, workload: &w, engine: r.engine) { c throws(CheckpointError) in
                if mount { try c.sync(fields: &controls) }
            }
            _ = FileManager.default.createFile(atPath: dir + "/" + name + ".state", contents: Data(bytes))
        }
        var none = small()
        none.workload = .none
        let m = try none.boot(note: { _ in })
        var w: Workload? = nil
        _ = FileManager.default.createFile(atPath: dir + "/idle.state", contents: Data(try MachineState.save(scenario: none, machine: m, workload: &w, engine: nil)))
    }

    /// The machine every knob write goes to (a write is validated before it changes anything,
    /// so one machine serves every input).
    nonisolated(unsafe) static let machine: Machine = try! small().boot()

    /// The bytes of a write(2) to every knob of the machine, as the mount takes them.
    public static func knobText(_ b: UnsafeBufferPointer<UInt8>) {
        let bytes = Array(b)
        for k in KnobTable.all where k.scope == .machine {
            guard let w = try? k.parse(bytes) else { continue }
            try? w.apply(to: machine)
        }
    }
}
