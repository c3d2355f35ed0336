import ArgumentParser
import PCPScenario

/// `--from-state FILE` continues a saved machine; `--save-state FILE` saves the machine a run
/// leaves (what `pcpsim snapshot save` and `mount --state` write, too).
struct StateOptions: ParsableArguments {
    @Option(help: "Continue from this state file (from --save-state, `pcpsim snapshot save` or `mount --state`): its machine, policy, knobs, workload and position; --ops/--duration say how much more to run (default: none).")
    var fromState: String?
    @Option(help: "After the run, save the whole machine (model, policy state, knobs, workload position, random stream, clocks) to this file.")
    var saveState: String?

    var resuming: Bool { fromState != nil }

    /// The run: the command line's scenario, or the state file's continued; saved when asked.
    func run(_ s: Scenario) throws -> ScenarioRun {
        let r: ScenarioRun
        if let path = fromState {
            try MachineState.refuseConflicts(s)
            r = try MachineState.load(path).run(s)
        } else {
            r = try s.run()
        }
        if let out = saveState { try MachineState.write(r.savedState(), to: out) }
        return r
    }
}
