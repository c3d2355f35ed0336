import ArgumentParser
import Foundation
import PCPFuse
import PCPLive
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
        let s = try file.scenario(base: MountCommand.base, machine, workload)
        let m = try s.boot()
        let live = LiveMachine(machine: m, workload: try s.makeWorkload(for: m), seed: s.seed, controls: controls, cost: s.cost)
        let server: FuseServer
        do {
            server = try FuseServer(table: live, mountpoint: dir, allowOther: allowOther)
        } catch {
            throw UsageError("\(error)")
        }
        live.onPublish = { [server] in server.contentChanged() }
        live.start()
        let zones = m.populatedZones.count
        print("""
        pcpsim: \(m.nrCPUs) CPUs, \(zones) populated zones, policy \(m.policy.rawValue), workload \(s.workload), pace \(pace)x, mounted at \(dir)
          cat \(dir)/proc/buddyinfo \(dir)/proc/zoneinfo
          echo 8 > \(dir)/proc/sys/vm/percpu_pagelist_high_fraction
          node_exporter --path.procfs=\(dir)/proc   or   pcpsim shell \(dir) -- vmstat -s
        Ctrl-C to unmount.
        """)
        fflush(nil)  // all streams: the banner must show even when stdout is a pipe
        do { try server.run() } catch { live.stop(); throw UsageError("\(error)") }
        live.stop()
    }
}
