import ArgumentParser
import Foundation
import PCPFuse
import PCPScenario

struct ShellCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell",
        abstract: "Run a command where /proc and /sys show a mounted pcpsim machine (private mount namespace).",
        discussion: """
        Every file the mount serves is bind-mounted over the host's (proc/sys/vm, proc/pressure,
        the node sysfs, sys/kernel/mm, debugfs and tracefs whole), after the rest of /sys,
        /proc/sys and /proc/sysrq-trigger are made read-only: a command inside can tune the
        simulation but no host knob. The host's own /proc and /sys are untouched.
        --list prints what is simulated, what is masked and what still comes from the host.
        Example: pcpsim shell /tmp/pcpsim -- sysctl -w vm.percpu_pagelist_high_fraction=8
        """
    )
    @Argument(help: "The pcpsim mount point.")
    var dir: String = "/tmp/pcpsim"
    @Flag(help: "Print what is simulated, masked read-only, and still the host's; run nothing.")
    var list = false
    @Argument(parsing: .postTerminator, help: "Command to run (default: $SHELL).")
    var command: [String] = []

    func run() throws {
        guard FileManager.default.fileExists(atPath: dir + "/proc/buddyinfo") else {
            throw UsageError("\(dir) is not a pcpsim mount (no proc/buddyinfo): start `pcpsim mount \(dir)` first")
        }
        let files = ShellPlan.files(in: dir)
        let plan = ShellPlan(mount: dir, files: files)
        if list {
            print(plan.listing(files: files), terminator: "")
            return
        }
        let cmd = command.isEmpty ? [ProcessInfo.processInfo.environment["SHELL"] ?? "/bin/sh"] : command
        let status: Int32
        do { status = try Namespace.runInPrivateNamespace(binds: plan.binds, readOnly: plan.readOnly, command: cmd) } catch {
            throw UsageError("\(error)")
        }
        throw ExitCode(status)
    }
}
