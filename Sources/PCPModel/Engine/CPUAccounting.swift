/// Where each simulated CPU's time went, as /proc/stat and /proc/loadavg account it: system
/// time is the time priced for the allocator's paths and locks (and vmstat_update), user time
/// the workload's own cost per operation, the rest idle. Kept by the engine on its clocks.
public struct CPUTimes: Sendable, Equatable {
    public var userNs: [Int64]
    public var systemNs: [Int64]
    /// Time with a task waiting for its disk read (iowait), idle otherwise.
    public var iowaitNs: [Int64]
    /// Simulated time since the engine started (every CPU's clock has reached it).
    public var elapsedNs: Int64
    /// avenrun[0..2]: the 1, 5 and 15 minute load averages, fixed point with FSHIFT 11.
    public var avenrun: [Int]

    /// A CPU's idle time: what its busy and iowait time leave of the elapsed time.
    public func idleNs(_ cpu: Int) -> Int64 { max(0, elapsedNs - userNs[cpu] - systemNs[cpu] - iowaitNs[cpu]) }
}

/// The engine's running sums behind CPUTimes.
final class CPUAccounting {
    @exclusivity(unchecked) var user: FixedArray<Picoseconds>
    @exclusivity(unchecked) var system: FixedArray<Picoseconds>
    @exclusivity(unchecked) var iowait: FixedArray<Picoseconds>
    /// Busy time of all CPUs at the last load sample, and when the next one is due.
    @exclusivity(unchecked) var busyAtSample = Picoseconds.zero
    @exclusivity(unchecked) var nextSample: Picoseconds
    @exclusivity(unchecked) var avenrun = [0, 0, 0]

    /// LOAD_FREQ: 5 s and one tick.
    static let loadFreq = Picoseconds(ns: 5_000_000_000 + 1_000_000_000 / Int64(K.hz))
    static let fshift = 11, fixed1 = 1 << 11
    /// EXP_1, EXP_5, EXP_15: 1 / exp(5 s / 1, 5, 15 min) in fixed point.
    static let exps = [1884, 2014, 2037]

    init(cpus: Int, start: Picoseconds) {
        user = FixedArray(repeating: .zero, count: cpus)
        system = FixedArray(repeating: .zero, count: cpus)
        iowait = FixedArray(repeating: .zero, count: cpus)
        nextSample = start + CPUAccounting.loadFreq
    }

    @inline(__always) func addSystem(_ cpu: Int, _ t: Picoseconds) { system[cpu] += t }
    @inline(__always) func addUser(_ cpu: Int, _ t: Picoseconds) { user[cpu] += t }
    @inline(__always) func addIowait(_ cpu: Int, _ t: Picoseconds) { iowait[cpu] += t }

    /// calc_global_load() (kernel/sched/loadavg.c, 6.18): every LOAD_FREQ the averages decay
    /// towards the number of active tasks, here the CPUs' busy share of the interval.
    @inline(__always) func sampleLoad(now: Picoseconds) {
        if now >= nextSample { foldLoad(now: now) }
    }

    /// Every LOAD_FREQ boundary up to `now`, out of line: the engine's loop pays for the test.
    @inline(never) private func foldLoad(now: Picoseconds) {
        while now >= nextSample {
            var busy = Picoseconds.zero
            // Tasks in uninterruptible sleep (a disk read) count as active, as in calc_load_fold_active().
            for c in 0..<user.count { busy += user[c] + system[c] + iowait[c] }
            let window = CPUAccounting.loadFreq.value
            let active = Int((busy - busyAtSample).value * Int64(CPUAccounting.fixed1) / window)
            busyAtSample = busy
            for i in 0..<3 { avenrun[i] = CPUAccounting.calcLoad(avenrun[i], CPUAccounting.exps[i], active) }
            nextSample += CPUAccounting.loadFreq
        }
    }

    /// calc_load() (kernel/sched/loadavg.c, 6.18): one decay step, rounding up while the load grows.
    static func calcLoad(_ load: Int, _ exp: Int, _ active: Int) -> Int {
        var newload = load * exp + active * (fixed1 - exp)
        if active >= load { newload += fixed1 - 1 }
        return newload / fixed1
    }

    func times(elapsed: Picoseconds) -> CPUTimes {
        CPUTimes(userNs: (0..<user.count).map { user[$0].ns }, systemNs: (0..<system.count).map { system[$0].ns },
                 iowaitNs: (0..<iowait.count).map { iowait[$0].ns },
                 elapsedNs: elapsed.ns, avenrun: avenrun)
    }
}
