import ArgumentParser
import PCPModel
import PCPRender
import PCPScenario

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print one simulated file after an optional workload.",
        discussion: """
        PATH is the file's path under the mount, e.g. proc/zoneinfo, proc/buddyinfo,
        proc/sys/vm/min_free_kbytes.
        Example: pcpsim render proc/zoneinfo --like-zoneinfo zoneinfo.txt --sysctl vm.min_free_kbytes=67584
        """
    )
    @Argument(help: "File to print, as it appears under the mount.")
    var path: String
    @OptionGroup var file: ScenarioOptions
    @OptionGroup var machine: MachineOptions
    @OptionGroup var workload: WorkloadOptions
    @OptionGroup var runOptions: RunOptions
    @OptionGroup var state: StateOptions

    func run() throws {
        let r = try state.run(file.scenario(machine, workload, runOptions))
        let p = path.hasPrefix("/") ? String(path.dropFirst()) : path
        let s = r.snapshot()
        if let f = ProcFiles.all(for: r.machine).first(where: { $0.path == p }) {
            print(f.render(s), terminator: "")
        } else if let k = KnobTable.byPath[p] {
            guard k.scope == .machine else { throw UsageError("\(p) is a file of a running mount (pcpsim mount)") }
            guard let text = k.read(KnobView(snapshot: s)) else { throw UsageError("\(p): Permission denied (write-only knob)") }
            print(text, terminator: "")
        } else {
            throw UsageError("no file '\(p)' (try proc/buddyinfo, proc/zoneinfo, proc/pagetypeinfo, proc/vmstat, proc/meminfo, proc/sys/vm/...)")
        }
    }
}

struct MachineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "machine",
        abstract: "Print the machine description (JSON) the options name; --machine FILE reads it back.",
        discussion: "Example: pcpsim machine --memory 64G --cpus 16 --nodes 2 > big.json"
    )
    @OptionGroup var file: ScenarioOptions
    @OptionGroup var machine: MachineOptions

    func run() throws {
        print(String(decoding: try PrettyJSON.encode(file.scenario(machine).machine.spec()), as: UTF8.self))
    }
}
