/// Workloads that need high-order memory against a background that fragments it.

/// Order-0 churn one CPU at a time: anonymous pages, with some unmovable slab, up to `cap`
/// held per CPU; the background of `thp` and `contig`.
struct Churn {
    var held: [HeldBlocks]
    let cap: Int

    init(_ m: Machine, cap: Int) {
        held = Array(repeating: HeldBlocks(), count: m.nrCPUs)
        self.cap = cap
    }

    mutating func step(_ m: Machine, cpu: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation {
        if held[cpu].count > 0 && (held[cpu].count >= cap || rng.below(2) == 0) {
            let (r, o) = held[cpu].swapRemove(rng.below(held[cpu].count))
            return try m.freeOp(cpu: cpu, r, order: o)
        }
        let kind: AllocKind = rng.below(10) == 0 ? .slabUnreclaimable : .anon
        return m.allocOp(cpu: cpu, order: 0, kind: kind, into: &held[cpu])
    }
}

/// `thp`: the first `thp_cpus` CPUs fault THPs (order 9, movable), keeping `thps` each and
/// replacing the oldest; the rest churn order-0 pages. thp_fault_alloc / thp_fault_fallback
/// in /proc/vmstat count how often a huge page was there.
struct THPFaults: Workload {
    let name = "thp"
    let isTHP: [Bool], inSet: [Bool]
    let thps: Int
    var huge: [HeldBlocks]
    var churn: Churn

    init(_ m: Machine, _ cpus: CPUSet, thpCPUs: Int, thps: Int, churn: Int) {
        let t = Set(cpus.cpus.prefix(thpCPUs))
        isTHP = (0..<m.nrCPUs).map { t.contains($0) }
        inSet = (0..<m.nrCPUs).map { cpus.cpus.contains($0) }
        let managed = m.zones.reduce(0) { $0 + $1.managed }
        self.thps = max(1, min(thps, managed / 4 / K.pageblockNrPages / max(1, t.count)))
        huge = Array(repeating: HeldBlocks(), count: m.nrCPUs)
        self.churn = Churn(m, cap: max(1, min(churn, managed / 2 / max(1, cpus.count))))
    }

    mutating func step(_ m: Machine, cpu: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation {
        guard inSet[cpu] else { return .idle(cpu) }
        guard isTHP[cpu] else { return try churn.step(m, cpu: cpu, &rng) }
        if huge[cpu].count >= thps {
            let (r, o) = huge[cpu].removeFirstish()
            return try m.freeOp(cpu: cpu, r, order: o)
        }
        return m.allocOp(cpu: cpu, order: K.hpagePMDOrder, kind: .thp, into: &huge[cpu])
    }
}

/// `contig`: the first CPU tries alloc_contig_range() on a 2^order range every `every`
/// operations (hugetlb or CMA style), walking the largest zone's aligned ranges in turn; it
/// keeps `hold` successful ranges and frees the oldest beyond that. The other CPUs churn.
/// The machine's `contig` totals count the attempts and what they met.
struct ContigAttempts: Workload {
    let name = "contig"
    let cpu0: Int
    let order: Int, every: Int, hold: Int
    let zoneID: Int
    var nextStart: Int
    var countdown: Int
    var held: [[PageRef]] = []
    var churn: Churn
    let inSet: [Bool]

    init(_ m: Machine, _ cpus: CPUSet, order: Int, every: Int, hold: Int) {
        cpu0 = cpus.cpus[0]
        self.order = order
        self.every = every
        self.hold = hold
        let z = m.populatedZones.max { $0.managed < $1.managed }!
        zoneID = z.id
        let align = 1 << order
        nextStart = (z.geometry.endPFN - z.managed + align - 1) & ~(align - 1)
        countdown = every
        inSet = (0..<m.nrCPUs).map { cpus.cpus.contains($0) }
        churn = Churn(m, cap: max(1, z.managed / 2 / max(1, cpus.count)))
    }

    mutating func step(_ m: Machine, cpu: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation {
        guard inSet[cpu] else { return .idle(cpu) }
        guard cpu == cpu0 else { return try churn.step(m, cpu: cpu, &rng) }
        if held.count > hold {
            let range = held.removeFirst()
            for r in range { try m.freePages(cpu: cpu, r, order: min(order, K.maxOrder)) }
            return Operation(kind: .free, cpu: cpu, order: order, pfn: m.pfn(of: range[0]))
        }
        countdown -= 1
        guard countdown <= 0 else { return try churn.step(m, cpu: cpu, &rng) }
        countdown = every
        let z = m.zones[zoneID], size = 1 << order
        if nextStart + size > z.geometry.endPFN {
            nextStart = (z.geometry.endPFN - z.managed + size - 1) & ~(size - 1)
        }
        let start = nextStart
        nextStart += size
        let (result, taken) = m.allocContigRange(cpu: cpu, zone: zoneID, startPFN: start, order: order, kind: .kernel)
        m.recordContig(result)
        if result.success { held.append(taken) }
        return Operation(kind: result.success ? .alloc : .allocFailed, cpu: cpu, order: order, pfn: start)
    }
}

/// `fragmenter`: keeps memory `fill` percent full of order-0 pages, `unmovable` per mille of
/// them unmovable (slab, kernel) and long-lived, scattered among movable pages that churn:
/// the continuous fragmentation Manaouil asked for.
struct Fragmenter: Workload {
    let name = "fragmenter"
    let inSet: [Bool]
    let target: Int, unmovablePermille: Int
    var movable = HeldBlocks(), unmovable = HeldBlocks()

    init(_ m: Machine, _ cpus: CPUSet, unmovablePermille: Int, fillPercent: Int) {
        inSet = (0..<m.nrCPUs).map { cpus.cpus.contains($0) }
        target = m.zones.reduce(0) { $0 + $1.managed } * fillPercent / 100
        self.unmovablePermille = unmovablePermille
    }

    mutating func step(_ m: Machine, cpu: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation {
        guard inSet[cpu] else { return .idle(cpu) }
        let total = movable.count + unmovable.count
        let wantUnmovable = total * unmovablePermille / 1000
        if total < target && rng.below(4) != 0 {
            if unmovable.count <= wantUnmovable && rng.below(1000) < unmovablePermille * 2 {
                return m.allocOp(cpu: cpu, order: 0, kind: .slabUnreclaimable, into: &unmovable)
            }
            return m.allocOp(cpu: cpu, order: 0, kind: .anon, into: &movable)
        }
        if unmovable.count > wantUnmovable && unmovable.count > 0 && rng.below(8) == 0 {
            let (r, o) = unmovable.swapRemove(rng.below(unmovable.count))
            return try m.freeOp(cpu: cpu, r, order: o)
        }
        guard movable.count > 0 else { return m.allocOp(cpu: cpu, order: 0, kind: .anon, into: &movable) }
        let (r, o) = movable.swapRemove(rng.below(movable.count))
        return try m.freeOp(cpu: cpu, r, order: o)
    }
}
