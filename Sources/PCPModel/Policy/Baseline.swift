extension Policy {
    /// Linux 6.18 as released.
    public static let baseline = Policy(Baseline.self)
}

/// Linux 6.18 as released: the kernel's PCP lists in front of the buddy.
final class Baseline: OwnsNothing {
    static let name = "baseline"

    /// The design a machine boots with.
    init() {}
    convenience init(machine: Machine) { self.init() }

    func freePCPPagesBulk(_ z: Zone, cpu: Int, count: Int, pindex: Int, force: Bool) {
        z.freePCPPagesBulkBaseline(cpu, count: count, pindex: pindex, self)
    }
}
