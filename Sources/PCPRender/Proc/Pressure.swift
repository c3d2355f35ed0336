import PCPModel

/// /proc/pressure/* (kernel/sched/psi.c psi_show(), Linux 6.18): a "some" and a "full" line
/// with avg10/avg60/avg300 as percentages with two decimals and the total in µs. At the system
/// level CPU "full" is undefined and prints as zeros.
public enum Pressure {
    public static func render(_ r: PSIResource, fullUndefined: Bool = false) -> String {
        var out = ""
        for full in 0..<2 {
            let zero = fullUndefined && full == 1
            let avg = zero ? [0, 0, 0] : r.avg[full]
            let total = zero ? 0 : r.total(full) / 1000
            out += full == 1 ? "full" : "some"
            for (name, a) in zip(["avg10", "avg60", "avg300"], avg) { out += " \(name)=" + percent(a) }
            out += " total=\(total)\n"
        }
        return out
    }

    /// LOAD_INT and LOAD_FRAC of a fixed-point average: "%lu.%02lu".
    static func percent(_ x: Int) -> String {
        let int = x >> PSIResource.fshift
        let frac = ((x & (PSIResource.fixed1 - 1)) * 100) >> PSIResource.fshift
        return "\(int)." + (frac < 10 ? "0" : "") + "\(frac)"
    }

    /// proc/pressure/cpu and io: no simulated task waits for a CPU or for I/O, so both stay at
    /// zero (the kernel's own lines for an idle resource).
    public static func unmodelled(_: Snapshot) -> String { render(PSIResource()) }

    /// proc/pressure/memory.
    public static func memory(_ s: Snapshot) -> String { render(s.psiMemory) }
}
