import PCPModel

/// /proc/stat, /proc/loadavg and /proc/uptime of the simulated CPUs, from the engine's clocks
/// (`CPUTimes`): user is the workload's time, system the allocator's paths and locks, iowait
/// its tasks' disk reads, idle the rest. Nothing else runs on the simulated machine, so nice,
/// irq, softirq, steal and guest time, interrupts, context switches and forks are 0. Task counts are the host's
/// (`Snapshot.tasks`): the tasks in /proc/PID are.
public enum Stat {
    /// USER_HZ: /proc/stat counts clock ticks of 10 ms.
    static let nsPerTick: Int64 = 10_000_000

    public static func render(_ s: Snapshot) -> String {
        let cpus = s.nrCPUs
        func times(_ c: Int) -> (Int64, Int64, Int64, Int64) {
            guard let t = s.cpu, c < t.userNs.count else { return (0, 0, s.now, 0) }
            return (t.userNs[c], t.systemNs[c], t.idleNs(c), t.iowaitNs[c])
        }
        var out = ""
        var sum: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)
        for c in 0..<cpus {
            let t = times(c)
            sum = (sum.0 + t.0, sum.1 + t.1, sum.2 + t.2, sum.3 + t.3)
        }
        cpuLine(&out, "cpu ", sum)
        for c in 0..<cpus { cpuLine(&out, "cpu\(c)", times(c)) }
        out += "intr 0\nctxt 0\nbtime \(s.bootTime)\nprocesses 0\nprocs_running \(s.tasks.running)\nprocs_blocked 0\n"
        out += "softirq 0" + String(repeating: " 0", count: 10) + "\n"
        return out
    }

    /// show_stat(): user nice system idle iowait irq softirq steal guest guest_nice, in ticks.
    static func cpuLine(_ out: inout String, _ name: String, _ t: (user: Int64, system: Int64, idle: Int64, iowait: Int64)) {
        out += "\(name) \(t.user / nsPerTick) 0 \(t.system / nsPerTick) \(t.idle / nsPerTick) \(t.iowait / nsPerTick) 0 0 0 0 0\n"
    }

    /// loadavg_proc_show(): the three averages rounded to hundredths, then the tasks running,
    /// in total and the last pid (the host's, whose tasks /proc/PID shows: atop sizes its task
    /// scan by the total).
    public static func loadavg(_ s: Snapshot) -> String {
        let avenrun = s.cpu?.avenrun ?? [0, 0, 0]
        let parts = avenrun.map { a -> String in
            let x = a + (1 << 11) / 200
            let frac = ((x & ((1 << 11) - 1)) * 100) >> 11
            return "\(x >> 11)." + (frac < 10 ? "0" : "") + "\(frac)"
        }
        return parts.joined(separator: " ") + " \(s.tasks.running)/\(s.tasks.total) \(s.tasks.lastPid)\n"
    }

    /// uptime_proc_show(): seconds since boot and the CPUs' summed idle time, to hundredths.
    public static func uptime(_ s: Snapshot) -> String {
        let up = s.cpu?.elapsedNs ?? s.now
        let idle = s.cpu.map { t in (0..<t.userNs.count).reduce(Int64(0)) { $0 + t.idleNs($1) } } ?? up * Int64(s.nrCPUs)
        return seconds(up) + " " + seconds(idle) + "\n"
    }

    static func seconds(_ ns: Int64) -> String {
        let cs = ns / nsPerTick
        return "\(cs / 100)." + (cs % 100 < 10 ? "0" : "") + "\(cs % 100)"
    }
}
