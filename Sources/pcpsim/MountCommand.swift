import ArgumentParser
import Foundation
import PCPFuse
import PCPLive
import PCPModel

extension LiveMachine: FileTable {
    public var files: [FileEntry] { entries.map { FileEntry(path: $0.path, mode: $0.mode, fromSnapshot: $0.isSnapshot) } }
}

struct MountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mount",
        abstract: "Mount the live simulated machine as a FUSE filesystem (runs in the foreground).",
        discussion: """
        Example: pcpsim mount /tmp/pcpsim --memory 16G --cpus 8 --workload random
        then: cat /tmp/pcpsim/proc/buddyinfo; echo 8 > /tmp/pcpsim/proc/sys/vm/percpu_pagelist_high_fraction
        Ctrl-C, SIGTERM or SIGHUP unmount cleanly.
        """
    )
    @Argument(help: "Mount point (created if missing).")
    var dir: String = "/tmp/pcpsim"
    @OptionGroup var machine: MachineOptions
    @Option(help: "Workload running in the background: \(Workloads.names.joined(separator: ", ")), or none.")
    var workload: String = "random"
    @Option(name: .customLong("param"), help: "A workload parameter KEY=VALUE (repeatable).")
    var params: [String] = []
    @Option(help: "Simulated seconds per wall-clock second.")
    var pace: Double = 1
    @Option(help: "Random seed of the workload.")
    var seed: UInt64 = 1
    @Flag(help: "Let other users read the files (allow_other with default_permissions).")
    var allowOther = false
    @Option(help: "Cost model file (`name = nanoseconds` lines) overriding the defaults.")
    var costModel: String?

    func costs() throws -> CostModel { try WorkloadOptions.costs(costModel) }

    func run() throws {
        guard pace > 0, pace <= 1000 else { throw UsageError("--pace must be in (0, 1000] simulated seconds per second") }
        let m = try machine.boot()
        var w: Workload?
        if workload != "none" {
            w = try WorkloadOptions.make(workload, params, m)
        }
        let live = LiveMachine(machine: m, workload: w, seed: seed, pace: pace, cost: try costs())
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
        pcpsim: \(m.nrCPUs) CPUs, \(zones) populated zones, policy \(m.policy.rawValue), workload \(workload), pace \(pace)x, mounted at \(dir)
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
