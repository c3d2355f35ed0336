/// Checkpoint of an engine: the random stream, the operation count, every CPU's clock, the
/// locks' timing and figures, the samples and the CPU time accounts. Restored into an engine
/// built for the restored machine, it continues exactly where the saved one stood: a run
/// saved at operation N and resumed to M prints what a run straight to M prints.
extension Engine: Checkpointable {
    public func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.section("engine")
        try c.check(machine.nrCPUs, "the engine's CPU count")
        try c.sync(fields: &rng)
        try c.sync(&start)
        try c.sync(&operations)
        try scheduler.checkpoint(c)
        try pricer.checkpoint(c)
        try sampler.checkpoint(c)
        try accounting.checkpoint(c)
        try checker.checkpoint(c, machine)
        c.derived(trace.buffer)
    }

    static let derivedFields: [String: String] = [
        "machine": "restored before the engine", "cost": "the scenario's cost model",
        "checkEvery": "the command line's --check-every",
        "trace": "holds one operation's lock sections, empty between operations",
        "traceSink": "the run's tracing",
    ]
}

extension SplitMix64: CheckpointableValue {
    public mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) { try c.sync(&state) }
}

extension CPUAccounting {
    func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.section("cpu accounting")
        try c.sync(user)
        try c.sync(system)
        try c.sync(iowait)
        try c.sync(&busyAtSample)
        try c.sync(&nextSample)
        try c.sync(&avenrun)
    }
}
