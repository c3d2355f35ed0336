import PCPModel

/// An aged machine's state (a state file's payload: the machine alone, no workload, no engine),
/// kept so that the other runs that boot the same machine restore it rather than age it again.
/// Aging is most of an analysis with `--sensitivity`, where a claim's variants and conditions
/// often boot one machine and differ only in their workload. A restored machine is the saved one
/// field for field (`MachineState`), so a run on it prints what it prints on a freshly aged one.
public struct BootedState: Sendable {
    let bytes: [UInt8]
}

extension Scenario {
    /// The scenario with everything `boot()` does not read set to its default: two aged
    /// scenarios with equal keys boot the same machine. (`boot()` reads the workload only to
    /// refuse an age with a trace replay and to keep a replay's import off the LRU, so no aged
    /// machine depends on it.) nil for a machine without an age, whose boot is cheap.
    public var agedBootKey: Scenario? {
        guard let a = age, a > 0 else { return nil }
        var k = self
        (k.workload, k.params, k.duration, k.untilSeconds) = (.none, [:], .whole, nil)
        (k.traceOut, k.checkEvery, k.seriesPoints, k.excludeWarmup) = (nil, 0, nil, false)
        return k
    }

    /// Boots the machine and keeps its state for `run(from:)` of scenarios with the same key.
    public func bootKeepingState() throws(UsageError) -> (Machine, BootedState) {
        let m = try boot()
        var none: Workload?
        let bytes = try MachineState.payload(scenario: agedBootKey ?? self, machine: m, workload: &none, engine: nil)
        return (m, BootedState(bytes: bytes))
    }

    /// Runs the workload on the machine `state` kept (booted by a scenario with this one's key).
    public func run(from state: BootedState) throws -> ScenarioRun {
        let restored: MachineState
        do { restored = try MachineState.restore(state.bytes, trusted: true, note: { _ in }) } catch {
            throw UsageError("restoring the shared aged machine: \(error)")
        }
        try restored.finish()
        return try run(on: restored.machine)
    }
}
