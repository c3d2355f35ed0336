import PCPModel

/// /proc/lock_stat (kernel/locking/lockdep_proc.c, lock_stat version 0.4) for the two lock
/// classes the model prices. Times are µs with two decimals, as the kernel prints them. The
/// per-call-site contention point lines are left out: the model has no return addresses.
public enum LockStat {
    static let width = 40 + 1 + 12 * (14 + 1)

    public static func render(_ classes: [(name: String, stats: LockStats)]) -> String {
        var out = "lock_stat version 0.4\n"
        out += String(repeating: "-", count: width) + "\n"
        let headers = ["con-bounces", "contentions", "waittime-min", "waittime-max", "waittime-total", "waittime-avg",
                       "acq-bounces", "acquisitions", "holdtime-min", "holdtime-max", "holdtime-total", "holdtime-avg"]
        out.right("class name", 40)
        for h in headers { out += " "; out.right(h, 14) }
        out += "\n" + String(repeating: "-", count: width) + "\n\n"
        // Sorted by contentions, most first, as ls_start() sorts.
        for c in classes.sorted(by: { $0.stats.contentions > $1.stats.contentions }) where c.stats.acquisitions > 0 {
            out.right(c.name, 40)
            out += ":"
            out.right(c.stats.conBounces, 14)
            out += " "
            let w = c.stats.waitNs, h = c.stats.holdNs
            lockTime(&out, n: c.stats.contentions, min: w.min, max: w.max, total: w.total)
            out += " "
            out.right(c.stats.acqBounces, 14)
            out += " "
            lockTime(&out, n: c.stats.acquisitions, min: h.min, max: h.max, total: h.total)
            out += "\n"
        }
        return out
    }

    /// seq_lock_time(): "%14lu" count, then min, max, total, avg via snprint_time.
    static func lockTime(_ out: inout String, n: Int, min: Int64, max: Int64, total: Int64) {
        out.right(n, 14)
        for t in [min, max, total, n > 0 ? total / Int64(n) : 0] {
            out += " "
            out.right(time(t), 14)
        }
    }

    /// snprint_time(): ns as µs with two decimals, rounded at the third.
    static func time(_ ns: Int64) -> String {
        let v = ns + 5
        let rem = Int(v % 1000) / 10
        return "\(v / 1000)." + (rem < 10 ? "0" : "") + String(rem)
    }
}
