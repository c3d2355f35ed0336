import Foundation
import PCPModel

/// The terminal view of one run's metrics.
public enum MetricsTable {
    public static func render(_ m: RunMetrics) -> String {
        func f(_ v: Double) -> String { v >= 100 ? String(Int(v.rounded())) : String(format: "%.2f", v) }
        func row(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == 0 ? c.padding(toLength: 11, withPad: " ", startingAt: 0) : " " + String(repeating: " ", count: max(0, 15 - c.count)) + c }.joined() + "\n"
        }
        var out = "policy \(m.policy)  workload \(m.workload)  seed \(m.seed)  ops \(m.ops)  simulated \(String(format: "%.6f", m.simSeconds)) s\n"
        out += "throughput  \(f(m.throughputPagesPerSimS)) pages/simulated s  (allocated \(m.pagesAllocated), freed \(m.pagesFreed), failed allocations \(m.allocFailures))\n\n"
        out += row(["lock", "acquisitions", "contentions", "con-bounces", "acq-bounces", "wait-total", "wait-max", "hold-total", "hold-max"])
        for (name, l) in [("zone->lock", m.locks.zone), ("pcp->lock", m.locks.pcp)] {
            out += row([name, "\(l.acquisitions)", "\(l.contentions)", "\(l.conBounces)", "\(l.acqBounces)",
                        f(l.waitNsTotal), f(l.waitNsMax), f(l.holdNsTotal), f(l.holdNsMax)])
        }
        out += "(times in ns)  remote pcp->lock acquisitions \(m.locks.pcp.remoteAcquisitions ?? 0)\n\n"
        out += "zone->lock pages per acquisition  \(f(m.zoneLockPagesPerAcquisition))\n"
        out += "merge steps  under zone->lock \(m.merges.zoneLock)  under pcp->lock \(m.merges.pcpLock)\n"
        out += "pages on PCPs  mean \(f(m.pcpPages.mean))  peak \(m.pcpPages.peak)\n"
        out += "free pageblocks \(m.freePageblocks)  unusable index order 9: \(Double(m.unusableIndex["9"] ?? 0) / 1000)  fragmentation index order 9: \(Double(m.fragmentationIndex["9"] ?? 0) / 1000)\n"
        return out
    }
}
