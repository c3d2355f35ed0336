import ArgumentParser
import Foundation
import PCPFuse
import PCPRender
import PCPScenario

struct ShellCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell",
        abstract: "Run a command where /proc shows a mounted pcpsim machine (private mount namespace).",
        discussion: """
        The simulated files are bind-mounted over /proc/buddyinfo, zoneinfo, pagetypeinfo,
        vmstat, meminfo and /proc/sys/vm/*, so tools that hardcode /proc (vmstat, sysctl, sar,
        scripts) see and tune the simulation. The host's /proc is untouched.
        Example: pcpsim shell /tmp/pcpsim -- sysctl -w vm.percpu_pagelist_high_fraction=8
        """
    )
    @Argument(help: "The pcpsim mount point.")
    var dir: String = "/tmp/pcpsim"
    @Argument(parsing: .postTerminator, help: "Command to run (default: $SHELL).")
    var command: [String] = []

    func run() throws {
        guard FileManager.default.fileExists(atPath: dir + "/proc/buddyinfo") else {
            throw UsageError("\(dir) is not a pcpsim mount (no proc/buddyinfo): start `pcpsim mount \(dir)` first")
        }
        // A bind mount needs its target: /proc/lock_stat exists only on CONFIG_LOCK_STAT kernels.
        let files = ProcFiles.fixed.map(\.path).filter { $0.hasPrefix("proc/") && $0 != "proc/lock_stat" }
            + KnobTable.all.map(\.path).filter { $0.hasPrefix("proc/sys/vm/") }
        let binds = files.map { (source: dir + "/" + $0, target: "/" + $0) }
        let cmd = command.isEmpty ? [ProcessInfo.processInfo.environment["SHELL"] ?? "/bin/sh"] : command
        let status: Int32
        do { status = try Namespace.runInPrivateNamespace(binds: binds, command: cmd) } catch {
            throw UsageError("\(error)")
        }
        throw ExitCode(status)
    }
}
