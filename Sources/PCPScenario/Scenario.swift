import Foundation
import PCPModel
import PCPRender

/// Everything about one run, as a plain value: the machine and how it boots, the policy, the
/// workload, the seed, how long it runs, the cost model, tracing and checking. Same scenario,
/// same output, byte for byte; saved as a file (`ScenarioFile`), it reproduces the run.
public struct Scenario: Equatable, Sendable {
    public var machine: MachineSource = .x86(X86Machine())
    /// Knobs written at boot, in order, after the policy is set.
    public var knobs: [KnobSetting] = []
    public var policy: Policy = .baseline
    public var policyOptions = PolicyOptions()
    public var workload: WorkloadName = .none
    /// Workload parameters (`Workloads.catalog` lists them; `a.KEY`/`b.KEY` for a mix).
    public var params: [String: String] = [:]
    public var seed: UInt64 = 1
    public var duration: Duration = .whole
    public var cost = CostModel()
    /// The swap device's size (nil: no swap, the reference machine's setting).
    public var swap: ByteSize?
    /// Milliseconds until the first vmstat_update (nil: one stat_interval).
    public var vmstatPhaseMs: Int?
    /// A trace replay ends this many seconds after the capture's start (nil: at the capture's
    /// end, its `after-snapshot begin` marker or its last event).
    public var untilSeconds: Double?
    /// Write the kmem tracepoints the run fires to this file, as ftrace text.
    public var traceOut: String?
    /// Check every invariant every this many operations (0: never).
    public var checkEvery = 0
    /// About this many time-series samples over the run's expected virtual time (nil: one every
    /// 10 simulated seconds, the engine's default).
    public var seriesPoints: Int?
    /// Measure from a steady state: the metrics leave out the first stat interval when the run
    /// lasts at least two (`compare` and `analyze` set it; Warmup.swift says why).
    public var excludeWarmup = false
    /// Simulated seconds of uptime (the `lived-in` workload) before the workload runs; nil or
    /// 0: a freshly booted machine (`--age`, `age` in scenario files).
    public var age: Double?

    public init() {}

    /// Reads an age: seconds with an optional unit, `600`, `600s`, `10m`, `1.5h`; nil when it is
    /// not one, negative, or longer than a simulated day.
    public static func parseAge(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var scale = 1.0, number = Substring(t)
        for (u, f) in units where t.hasSuffix(u) {
            scale = f
            number = t.dropLast(u.count)
            break
        }
        guard let v = Double(number), v.isFinite, v >= 0, v * scale <= 86_400 else { return nil }
        return v * scale
    }

    /// How long a run lasts.
    public enum Duration: Hashable, Sendable, CustomStringConvertible {
        /// This many operations (idle steps included).
        case ops(Int)
        /// The whole workload: a trace replay to the end of its trace; a workload without an end
        /// runs `Engine.defaultOps` operations.
        case whole
        /// This many simulated seconds: until the slowest CPU's clock passes them (or the
        /// workload ends).
        case seconds(Double)

        /// The operation count `Engine.run(_:opsOrToEnd:)` takes.
        public var ops: Int? {
            switch self {
            case .ops(let n): n
            case .whole, .seconds: nil
            }
        }

        /// "100000 ops", "2.5 s" or "whole", as scenario files write it.
        public var description: String {
            switch self {
            case .ops(let n): "\(n) ops"
            case .whole: "whole"
            case .seconds(let t): "\(t) s"
            }
        }

        public init?(_ text: String) {
            if text == "whole" { self = .whole; return }
            let w = text.split(separator: " ")
            if w.count == 2, w[1] == "s", let t = Double(w[0]), t > 0, t.isFinite { self = .seconds(t); return }
            guard w.count == 2, w[1] == "ops", let n = Int(w[0]) else { return nil }
            self = .ops(n)
        }
    }
}

/// The RFC's open questions, as a scenario sets them (pcp-buddy, block-economy).
public struct PolicyOptions: Equatable, Sendable {
    public var remoteFreeLock = PCPBuddyOptions.RemoteFreeLock.spin
    public var phase2Chunk = Phase2Chunk.largest
    public var contigPCP = PCPBuddyOptions.ContigPCP.drainAll
    public init() {}

    public var pcpBuddyOptions: PCPBuddyOptions {
        var o = PCPBuddyOptions()
        o.remoteFreeLock = remoteFreeLock
        o.phase2LargestFirst = phase2Chunk.largestFirst
        o.contigPCP = contigPCP
        return o
    }
}
