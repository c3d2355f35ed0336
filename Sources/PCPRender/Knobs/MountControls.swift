import PCPModel

/// pcpsim's own controls of a running mount, beside the machine's knobs: the pace the
/// workload runs at, its name, and the tracefs switches. A plain value: the mount keeps one
/// and its knob files read and set it.
public struct MountControls: Sendable, Equatable {
    /// Simulated seconds per wall-clock second.
    public private(set) var pace = 1.0
    /// The background workload (read-only).
    public var workload = "none"
    /// tracing_on (on at boot, as in the kernel).
    public private(set) var tracingOn = true
    /// Tracepoints whose events/kmem/NAME/enable is 1 (none at boot, as in the kernel).
    public private(set) var enabledEvents: Set<String> = []
    /// /proc/stat's btime: the wall-clock second the mount first started this machine. Saved
    /// with it, so a resumed machine keeps its boot time as its uptime goes on from the state.
    public var bootTime = 0

    /// The fastest pace: a tick's operations must still fit in a tick.
    public static let maxPace = 1000.0

    public init() {}

    /// sys/kernel/mm/pcpsim/pace: (0, maxPace].
    public mutating func setPace(_ v: Double) throws(KnobError) {
        guard v > 0, v <= MountControls.maxPace else { throw .invalid }
        pace = v
    }

    /// tracing_on: 0 or 1.
    public mutating func setTracingOn(_ v: Int) throws(KnobError) {
        guard v == 0 || v == 1 else { throw .invalid }
        tracingOn = v == 1
    }

    /// events/kmem/NAME/enable: 0 or 1, as event_enable_write takes it.
    public mutating func setEvent(_ name: String, _ v: Int) throws(KnobError) {
        guard v == 0 || v == 1 else { throw .invalid }
        if v == 1 { enabledEvents.insert(name) } else { enabledEvents.remove(name) }
    }

    /// Whether any event would be recorded: the model fires tracepoints only then.
    public var tracing: Bool { tracingOn && !enabledEvents.isEmpty }
}

extension MountControls: CheckpointableValue {
    /// The mount's own switches, saved with its machine (`mount --state`); the workload's name
    /// comes from the restored workload.
    public mutating func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.section("mount controls")
        try c.sync(&pace)
        guard pace > 0, pace <= MountControls.maxPace else { throw CheckpointError("pace \(pace) is out of range") }
        try c.sync(&tracingOn)
        try c.sync(&enabledEvents)
        try c.sync(&bootTime)
        guard bootTime >= 0 else { throw CheckpointError("boot time \(bootTime) is before 1970") }
    }
}
