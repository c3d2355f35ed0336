/// One resource's pressure stall information for the system group (kernel/sched/psi.c, Linux
/// 6.18): the "some" and "full" stall totals and their avg10/avg60/avg300 running averages in
/// the kernel's fixed point, updated every psi_period as psi_avgs_work() does.
///
/// The system group weights each CPU's stall time by its non-idle time. A simulated CPU runs
/// its workload without pause, so every CPU counts as non-idle throughout and a CPU's stall adds
/// 1/nrCPUs of itself to the totals. Each CPU runs one task, so while it stalls no other task
/// is productive there: its "full" time equals its "some" time.
public struct PSIResource: Equatable, Sendable {
    /// Stall time summed over CPUs, ns: [some, full].
    public internal(set) var stallSum: [Int64] = [0, 0]
    /// CPUs the stall time is averaged over.
    public internal(set) var cpus = 1
    /// The averaged part of each total already folded into the averages (group->avg_total).
    var avgTotal: [Int64] = [0, 0]
    /// [some, full][avg10, avg60, avg300], fixed point with FSHIFT bits.
    public internal(set) var avg: [[Int]] = [[0, 0, 0], [0, 0, 0]]
    var avgLastUpdate: Int64 = 0
    public internal(set) var avgNextUpdate: Int64 = PSIResource.period

    public init(cpus: Int = 1, now: Int64 = 0) {
        self.cpus = max(1, cpus)
        avgLastUpdate = now
        avgNextUpdate = now + PSIResource.period
    }

    /// FSHIFT / FIXED_1 of include/linux/sched/loadavg.h.
    public static let fshift = 11, fixed1 = 1 << 11
    /// EXP_10s, EXP_60s, EXP_300s: 1/exp(2 s / window) in fixed point.
    static let exps = [1677, 1981, 2034]
    /// psi_period: PSI_FREQ (2 * HZ + 1 jiffies) at this kernel's CONFIG_HZ=250, in ns.
    public static let period: Int64 = (2 * 250 + 1) * 4_000_000

    /// total[PSI_AVGS][s] in ns: the CPU-weighted stall time.
    public func total(_ s: Int) -> Int64 { stallSum[s] / Int64(cpus) }

    /// Adds one CPU's memory stall of `ns` (from psi_memstall_enter to leave): some and full alike.
    mutating func accrue(ns: Int64) {
        guard ns > 0 else { return }
        stallSum[0] += ns
        stallSum[1] += ns
    }

    /// Adds a stall during which another task on the CPU stayed runnable: "some" only.
    mutating func accrueSome(ns: Int64) {
        guard ns > 0 else { return }
        stallSum[0] += ns
    }

    /// psi_avgs_work() at `now`: folds the periods that have ended into the averages.
    mutating func advance(to now: Int64) {
        if isDue(now) { updateAverages(now) }
    }

    /// Whether the averages are due for an update at `now`.
    @inline(__always) func isDue(_ now: Int64) -> Bool { now >= avgNextUpdate }

    /// kernel/sched/psi.c update_averages(), Linux 6.18.
    mutating func updateAverages(_ now: Int64) {
        let expires = avgNextUpdate
        var missed: Int64 = 0
        if now - expires >= Self.period { missed = (now - expires) / Self.period }
        avgNextUpdate = expires + (1 + missed) * Self.period
        let period = now - (avgLastUpdate + missed * Self.period)
        avgLastUpdate = now
        for s in 0..<2 {
            var sample = total(s) - avgTotal[s]
            if sample > period { sample = period }
            avgTotal[s] += sample
            Self.calcAvgs(&avg[s], missed: Int(missed), time: sample, period: period)
        }
    }

    /// kernel/sched/psi.c calc_avgs(), Linux 6.18: zeroes for missed periods, then the
    /// latest period's percentage (an integer, as div_u64 leaves it).
    static func calcAvgs(_ avg: inout [Int], missed: Int, time: Int64, period: Int64) {
        if missed > 0 {
            for w in 0..<3 { avg[w] = calcLoadN(avg[w], exps[w], 0, missed) }
        }
        let pct = Int(time * 100 / max(period, 1)) * fixed1
        for w in 0..<3 { avg[w] = calcLoad(avg[w], exps[w], pct) }
    }

    /// include/linux/sched/loadavg.h calc_load(), Linux 6.18.
    static func calcLoad(_ load: Int, _ exp: Int, _ active: Int) -> Int {
        var n = load * exp + active * (fixed1 - exp)
        if active >= load { n += fixed1 - 1 }
        return n / fixed1
    }

    /// kernel/sched/loadavg.c calc_load_n() with fixed_power_int(), Linux 6.18.
    static func calcLoadN(_ load: Int, _ exp: Int, _ active: Int, _ n: Int) -> Int {
        var result = fixed1, x = exp, k = n
        while k > 0 {
            if k & 1 != 0 { result = (result * x + fixed1 / 2) >> fshift }
            k >>= 1
            if k == 0 { break }
            x = (x * x + fixed1 / 2) >> fshift
        }
        return calcLoad(load, result, active)
    }
}

extension Machine {
    /// psi_memstall_enter(), Linux 6.18: what `cpu` does from here until the leave is a
    /// memory stall (the engine prices it and accrues it to /proc/pressure/memory).
    func psiMemstallEnter() { zones.first?.trace.memstall(enter: true) }

    /// psi_memstall_leave(), Linux 6.18.
    func psiMemstallLeave() { zones.first?.trace.memstall(enter: false) }

    /// Accrues one CPU's priced stall time.
    func psiAccrue(ns: Int64) { psiMemory.accrue(ns: ns) }

    /// Accrues kswapd's turn on its CPU when it ran balance_pgdat(), which is a memory stall
    /// (psi_memstall_enter/leave around it, 6.18). kswapd runs, so the stall is "full" only
    /// if no other task is runnable there; the CPU's workload task waits for its turn, so it
    /// is "some".
    func psiAccrueKswapd(ns: Int64) {
        guard kswapdBalanced else { return }
        kswapdBalanced = false
        psiMemory.accrueSome(ns: ns)
    }
}
