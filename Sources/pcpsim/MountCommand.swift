import ArgumentParser
import Foundation
import PCPFuse
import PCPLive
import PCPModel
import PCPRender
import PCPScenario

extension LiveMachine: FileTable {
    public var files: [FileEntry] {
        entries.map { e in
            e.readsAtAnyOffset ? FileEntry(path: e.path, mode: e.mode, kind: .stringSysctl)
                : { var f = FileEntry(path: e.path, mode: e.mode, fromSnapshot: e.isSnapshot); f.slow = e.isSlow; return f }()
        }
    }

    public func write(_ path: String, _ data: [UInt8], at offset: Int, flags: Int32) -> WriteResult {
        switch write(path, data, at: offset) {
        case .taken(let n, let moves): moves ? .accepted(n) : .acceptedInPlace(n)
        case .refused(let e): .failed(e)
        }
    }
}

struct MountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mount",
        abstract: "Mount the live simulated machine as a FUSE filesystem (runs in the foreground).",
        discussion: """
        Example: pcpsim mount /tmp/pcpsim --memory 16G --cpus 8 --workload random
        then: cat /tmp/pcpsim/proc/buddyinfo; echo 8 > /tmp/pcpsim/proc/sys/vm/percpu_pagelist_high_fraction
        The workload runs in the background (default: random; none for an idle machine).
        The machine starts lived-in: 300 simulated seconds of uptime (--age; --age 0 for a
        freshly booted machine).
        Ctrl-C, SIGTERM or SIGHUP unmount cleanly.
        """
    )
    @Argument(help: "Mount point (created if missing).")
    var dir: String = "/tmp/pcpsim"
    @OptionGroup var file: ScenarioOptions
    @OptionGroup var machine: MachineOptions
    @OptionGroup var workload: WorkloadOptions
    @Option(help: "Simulated seconds per wall-clock second.")
    var pace: Double = 1
    @Flag(help: "Let other users read the files (allow_other with default_permissions).")
    var allowOther = false
    @Option(help: "Keep the whole machine in this file: resume from it when it exists (its machine, knobs, workload and clocks; the options above are then not used), save to it every --state-interval seconds and on a clean stop.")
    var state: String?
    @Option(help: "Wall-clock seconds between two saves of --state.")
    var stateInterval: Double = 10

    /// A mount runs the random mix unless told otherwise, on a machine with `defaultAge` of
    /// uptime (`--age 0` for a fresh one).
    static var base: Scenario {
        var s = Scenario()
        s.workload = .builtin("random")
        s.age = defaultAge
        return s
    }

    /// Five simulated minutes: the page cache fills memory in about 80 s and turns over twice
    /// more (about 1 s for the default 16 GiB machine of scripts/run, release build).
    static let defaultAge = 300.0

    func run() throws {
        guard !dir.isEmpty else { throw UsageError("the mount point is an empty path: name a directory, e.g. /tmp/pcpsim") }
        var controls = MountControls()
        do { try controls.setPace(pace) } catch {
            throw UsageError("--pace must be in (0, \(Int(MountControls.maxPace))] simulated seconds per second")
        }
        guard stateInterval > 0, stateInterval <= 86_400 else { throw UsageError("--state-interval must be in (0, 86400] seconds") }
        var s = try file.scenario(base: MountCommand.base, machine, workload)
        let restored = try state.flatMap { p throws(UsageError) in FileManager.default.fileExists(atPath: p) ? try MachineState.load(p) : nil }
        if let restored { s = restored.scenario }
        let m = try restored?.machine ?? s.boot()
        let live = LiveMachine(machine: m, workload: try restored.map(\.workload) ?? s.makeWorkload(for: m), seed: s.seed, controls: controls, cost: s.cost)
        if let restored {
            try live.withState { _, _, engine, controls in
                try restored.restore(engine)
                try restored.finish(readsExtra: true) { c throws(CheckpointError) in try c.sync(fields: &controls) }
            }
            Scenario.printNote("resumed from \(state!) at \(String(format: "%.3f", Double(m.now) / 1e9)) simulated seconds")
        }
        let saver = StateSaver(live: live, scenario: s)
        live.onSaveState = { path in saver.request(path) }
        let server: FuseServer
        do {
            server = try FuseServer(table: live, mountpoint: dir, allowOther: allowOther)
        } catch {
            throw UsageError("\(error)")
        }
        live.onPublish = { [server] in server.contentChanged() }
        live.start()
        if let state { saver.every(stateInterval, to: state) }
        let zones = m.populatedZones.count
        print("""
        pcpsim: \(m.nrCPUs) CPUs, \(zones) populated zones, policy \(m.policy.rawValue), workload \(s.workload), pace \(pace)x, mounted at \(dir)
          cat \(dir)/proc/buddyinfo \(dir)/proc/zoneinfo
          echo 8 > \(dir)/proc/sys/vm/percpu_pagelist_high_fraction
          node_exporter --path.procfs=\(dir)/proc   or   pcpsim shell \(dir) -- vmstat -s
        Ctrl-C to unmount.
        """)
        fflush(nil)  // all streams: the banner must show even when stdout is a pipe
        do { try server.run() } catch {
            live.stop()
            try saver.finish(state)
            throw UsageError("\(error)")
        }
        live.stop()
        try saver.finish(state)
    }
}

/// Saves a running mount's machine: on request (`snapshot save`, through the save_state
/// control file), every interval to `--state`, and once more at a clean stop. One save at a
/// time; each is taken between two operations, so every knob write acknowledged before it
/// began is in it.
final class StateSaver: @unchecked Sendable {
    let live: LiveMachine
    let scenario: Scenario
    private let lock = NSLock()
    private var stopped = false

    init(live: LiveMachine, scenario: Scenario) {
        self.live = live
        self.scenario = scenario
    }

    /// The machine, its workload, its engine and the mount's switches, saved atomically to
    /// `path` (an interval's save is skipped once the stop's save has run).
    func save(to path: String, interval: Bool = false) throws {
        lock.lock()
        defer { lock.unlock() }
        if interval && stopped { return }
        let bytes = try live.withState { m, w, e, controls in
            var s = scenario
            s.policy = m.policy
            return try MachineState.save(scenario: s, machine: m, workload: &w, engine: e) { c throws(CheckpointError) in try c.sync(fields: &controls) }
        }
        try MachineState.write(bytes, to: path)
    }

    /// A save asked through the control file: 0, or the errno the writer gets.
    func request(_ path: String) -> Int32 {
        do { try save(to: path); return 0 } catch {
            FileHandle.standardError.write(Data("pcpsim: error: snapshot save: \(error)\n".utf8))
            return EIO
        }
    }

    /// Saves to `path` every `seconds` of wall time until `finish`; a failed save is reported
    /// and tried again at the next interval.
    func every(_ seconds: Double, to path: String) {
        let t = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: seconds)
                do { try save(to: path, interval: true) } catch {
                    FileHandle.standardError.write(Data("pcpsim: warning: cannot save the state to \(path): \(error)\n".utf8))
                }
            }
        }
        t.name = "pcpsim-state"
        t.start()
    }

    /// The clean stop's save (when `--state` is given), after which the interval saves end.
    func finish(_ path: String?) throws {
        lock.lock()
        stopped = true
        lock.unlock()
        guard let path else { return }
        try save(to: path)
    }
}
