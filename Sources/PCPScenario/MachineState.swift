import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PCPModel
import PCPRender

/// A whole running machine as one file (`pcpsim mount --state`, `pcpsim snapshot save`,
/// `pcpsim run --save-state`), and the way back (`--from-state`, a mount restarted with the
/// same `--state`): the scenario that built it, the machine's description, then the machine,
/// its workload and its engine, each through its own `checkpoint(_:)`.
///
/// Restoring builds a fresh machine from the saved description and the workload from the
/// saved scenario, then reads every saved field into them; any error drops what was built,
/// so a damaged, foreign or other-version file is refused whole.
public struct MachineState {
    /// The scenario of the saved run, with the machine's design as it was at the save.
    public var scenario: Scenario
    public let machine: Machine
    public var workload: Workload?
    /// Positioned after the workload: the engine's section (if one was saved) comes next.
    let checkpoint: Checkpoint
    let hasEngine: Bool

    /// The state file's bytes for a machine, the workload running on it and its engine;
    /// `extra` adds a section of the caller's own (the mount's controls), read back by
    /// `finish(extra:)`.
    public static func save(scenario: Scenario, machine m: Machine, workload: inout Workload?, engine: Engine?,
                            extra: (Checkpoint) throws(CheckpointError) -> Void = { _ in }) throws(UsageError) -> [UInt8] {
        StateFile.encode(try payload(scenario: scenario, machine: m, workload: &workload, engine: engine, extra: extra))
    }

    /// The state file's payload (what `restore` reads), without the file's envelope.
    static func payload(scenario: Scenario, machine m: Machine, workload: inout Workload?, engine: Engine?,
                        extra: (Checkpoint) throws(CheckpointError) -> Void = { _ in }) throws(UsageError) -> [UInt8] {
        let c = Checkpoint()
        // What each command line decides again (how long, checking, tracing) is no part of the
        // machine: a run saved at N and one resumed to N save the same bytes.
        var scenario = scenario
        (scenario.duration, scenario.checkEvery, scenario.traceOut, scenario.seriesPoints) = (.whole, 0, nil, nil)
        do {
            try header(c, scenario: scenario, spec: m.spec, hasWorkload: workload != nil, hasEngine: engine != nil)
            try m.checkpoint(c)
            try c.section("workload")
            try workload?.checkpoint(c)
            try engine?.checkpoint(c)
            // The caller's section as one blob, so a reader without it (render --from-state of a
            // mount's state) can step over it.
            let e = Checkpoint()
            try extra(e)
            var blob = e.bytes
            try c.section("extra")
            try c.sync(&blob)
            try c.section("end")
        } catch { throw UsageError("cannot save the machine's state: \(error.description)") }
        return c.bytes
    }

    /// Writes a state file atomically: a temporary file beside it, synced, renamed over it,
    /// and the directory synced, so a crash at any moment leaves the old file or the new one.
    public static func write(_ bytes: [UInt8], to path: String) throws(OutputError) {
        try TextFile.write(Data(bytes), to: path)
        let dir = FilePaths.directory(of: path)
        let fd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    /// Reads a state file back: the machine and its workload, ready for an engine.
    public static func load(_ path: String, note: (String) -> Void = Scenario.printNote) throws(UsageError) -> MachineState {
        let bytes: [UInt8]
        do { bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw UsageError("cannot read state file '\(path)': \((error as NSError).localizedDescription)")
        }
        do {
            return try restore(StateFile.decode(bytes), note: note)
        } catch let e as CheckpointError {
            throw UsageError("state file '\(path)' refused: \(e.description)")
        } catch let e as UsageError {
            throw UsageError("state file '\(path)': \(e.description)")
        } catch {
            throw UsageError("state file '\(path)' refused: \(error)")
        }
    }

    /// The scenario and machine description a state file's payload opens with, read without
    /// building the machine: what a caller that bounds the machines it accepts checks first.
    public static func header(ofPayload payload: [UInt8]) throws -> (scenario: Scenario, spec: MachineSpec) {
        let h = try readHeader(Checkpoint(restoring: payload))
        return (h.scenario, h.spec)
    }

    /// The header read back, `c` left after it.
    private static func readHeader(_ c: Checkpoint) throws -> (scenario: Scenario, spec: MachineSpec, hasWorkload: Bool, hasEngine: Bool) {
        var scenario = Scenario(), spec = MachineSpec(nodes: [])
        var hasWorkload = false, hasEngine = false
        try header(c, scenario: &scenario, spec: &spec, hasWorkload: &hasWorkload, hasEngine: &hasEngine)
        return (scenario, spec, hasWorkload, hasEngine)
    }

    static func restore(_ payload: [UInt8], trusted: Bool = false, note: (String) -> Void) throws -> MachineState {
        let c = Checkpoint(restoring: payload, trusted: trusted)
        let (saved, spec, hasWorkload, hasEngine) = try readHeader(c)
        var scenario = saved
        do { try spec.validate() } catch { throw CheckpointError("its machine description is invalid: \(error.description)") }
        try Scenario.checkFits(spec)
        let m = try Machine(spec: spec)
        // The workload is built before the machine's state is read: what building it does to
        // the machine (the files it creates, the mover it sets) the saved state then replaces.
        var w: Workload?
        if hasWorkload {
            guard scenario.workload != .none else { throw CheckpointError("a workload is saved but the scenario names none") }
            w = try scenario.makeWorkloadOnly(for: m)
        }
        try m.checkpoint(c)
        if let problem = KnobTable.acceptedProblem(m.knobs.accepted) { throw CheckpointError(problem) }
        scenario.policy = m.policy
        try c.section("workload")
        try w?.checkpoint(c)
        // A file can pass its checksum and still not be a machine this pcpsim made (written by
        // hand, or by a build whose fields differ at the same version): the checker refuses it.
        if !trusted {
            do { try InvariantChecker().check(m, after: "reading the state") } catch {
                throw CheckpointError("its machine is inconsistent: \(String(error.description.prefix(200)))")
            }
        }
        return MachineState(scenario: scenario, machine: m, workload: w, checkpoint: c, hasEngine: hasEngine)
    }

    /// The header, in either direction: a marker, the scenario (JSON, absolute paths), the
    /// machine's description (JSON) and what follows.
    private static func header(_ c: Checkpoint, scenario: inout Scenario, spec: inout MachineSpec,
                               hasWorkload: inout Bool, hasEngine: inout Bool) throws {
        try c.section("pcpsim machine state")
        var sj = c.isSaving ? String(decoding: try PrettyJSON.encode(scenario.mappingPaths(FilePaths.absolute)), as: UTF8.self) : ""
        var mj = c.isSaving ? String(decoding: try PrettyJSON.encode(spec), as: UTF8.self) : ""
        try c.sync(&sj)
        try c.sync(&mj)
        try c.sync(&hasWorkload)
        try c.sync(&hasEngine)
        if !c.isSaving {
            do {
                scenario = try JSONDecoder().decode(Scenario.self, from: Data(sj.utf8))
                spec = try JSONDecoder().decode(MachineSpec.self, from: Data(mj.utf8))
            } catch { throw CheckpointError("its header does not decode: \(ScenarioFile.describe(error))") }
        }
    }

    private static func header(_ c: Checkpoint, scenario: Scenario, spec: MachineSpec, hasWorkload: Bool, hasEngine: Bool) throws(CheckpointError) {
        var s = scenario, m = spec, w = hasWorkload, e = hasEngine
        do { try header(c, scenario: &s, spec: &m, hasWorkload: &w, hasEngine: &e) } catch let x as CheckpointError { throw x } catch {
            throw CheckpointError("cannot encode the header: \(error)")
        }
    }

    /// Reads the saved engine's state into `engine`, built for this machine (a state saved
    /// without an engine leaves it as built).
    public func restore(_ engine: Engine) throws(UsageError) {
        do { if hasEngine { try engine.checkpoint(checkpoint) } } catch { throw UsageError("state refused: \(error.description)") }
    }

    /// Checks that nothing is left over, and reads the caller's section with `extra` when
    /// `readsExtra` (a state saved without one leaves the caller's values as they are).
    public func finish(readsExtra: Bool = false, extra: (Checkpoint) throws(CheckpointError) -> Void = { _ in }) throws(UsageError) {
        do {
            try checkpoint.section("extra")
            var blob: [UInt8] = []
            try checkpoint.sync(&blob)
            try checkpoint.section("end")
            guard checkpoint.atEnd else { throw CheckpointError("bytes are left after its end") }
            // A state without the caller's section (a run's, read by a mount) keeps its defaults.
            guard readsExtra, !blob.isEmpty else { return }
            let e = Checkpoint(restoring: blob)
            try extra(e)
            guard e.atEnd else { throw CheckpointError("bytes are left after the mount's section") }
        } catch { throw UsageError("state refused: \(error)") }
    }
}

extension MachineState {
    /// Continues the saved run: `duration` more (`.whole`: none), checking and tracing as
    /// `options` (a command line's scenario) asks. The machine, design, knobs, workload, seed
    /// and position are the state's.
    public func run(_ options: Scenario) throws -> ScenarioRun {
        var s = scenario
        s.duration = options.duration == .whole ? .ops(0) : options.duration
        s.checkEvery = options.checkEvery
        s.traceOut = options.traceOut
        s.seriesPoints = options.seriesPoints
        if let w = workload { return try s.run(on: machine, workload: w, resuming: self) }
        var engine: Engine?
        if hasEngine {
            let e = Engine(machine: machine, seed: s.seed, cost: s.cost)
            try restore(e)
            engine = e
        }
        try finish()
        return ScenarioRun(scenario: s, machine: machine, engine: engine)
    }

    /// What a command line may give beside `--from-state`: how long to run, checking, tracing.
    /// Anything else (a machine, a design, knobs, a workload, a seed) the state already fixes.
    public static func refuseConflicts(_ s: Scenario) throws(UsageError) {
        var t = s
        t.duration = .whole
        t.checkEvery = 0
        t.traceOut = nil
        t.seriesPoints = nil
        guard t == Scenario() else {
            throw UsageError("--from-state takes the machine, policy, knobs, workload and seed from the state file: give only --ops or --duration, --check, --trace-out and output options with it")
        }
    }
}
