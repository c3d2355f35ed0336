extension Engine {
    /// What one CPU did: operations and pages.
    public struct OpCounts: Sendable, Equatable, BitwiseCopyable {
        public var allocs = 0, failedAllocs = 0, frees = 0, idles = 0
        public var pagesAllocated = 0, pagesFreed = 0
    }

    /// One point of the time series (for charts).
    public struct Sample: Sendable, Codable, Equatable {
        public var simSeconds: Double
        public var pcpPages: Int
        public var freePageblocks: Int
        public var unusableIndexOrder9: Int
        public var zoneLockAcquisitions: Int
        enum CodingKeys: String, CodingKey {
            case simSeconds = "sim_seconds", pcpPages = "pcp_pages", freePageblocks = "free_pageblocks"
            case unusableIndexOrder9 = "unusable_index_order9", zoneLockAcquisitions = "zone_lock_acquisitions"
        }
    }
}

/// Counts what each CPU did and samples the machine over virtual time: PCP pages held (mean
/// and peak) and the time series of the run's charts.
final class Sampler {
    let ops: FixedArray<Engine.OpCounts>
    /// Sample the time series at this interval of virtual time (doubled each time the series
    /// is thinned).
    @exclusivity(unchecked) var every = Picoseconds(10_000_000_000)
    /// The most points the series holds: a machine that runs for days (a mount) keeps every
    /// other point and samples half as often each time it fills, so memory stays bounded.
    static let maxSamples = 4096
    @exclusivity(unchecked) private(set) var samples: [Engine.Sample] = []
    @exclusivity(unchecked) private(set) var pcpPagesPeak = 0
    @exclusivity(unchecked) private var pcpPagesIntegral: Double = 0
    private var start: Picoseconds
    @exclusivity(unchecked) private var lastSample: Picoseconds

    init(cpus: Int, start: Picoseconds) {
        ops = FixedArray(repeating: Engine.OpCounts(), count: cpus)
        self.start = start
        lastSample = start
    }

    @inline(__always) func count(_ op: Operation) {
        switch op.kind {
        case .alloc:
            ops[op.cpu].allocs &+= 1
            ops[op.cpu].pagesAllocated &+= 1 << op.order
        case .allocFailed: ops[op.cpu].failedAllocs &+= 1
        case .free:
            ops[op.cpu].frees &+= 1
            ops[op.cpu].pagesFreed &+= 1 << op.order
        case .idle, .wait, .busy, .user, .io, .sleep: ops[op.cpu].idles &+= 1
        }
    }

    /// After operation number `n` at virtual time `t`: integrates PCP-held pages over time and
    /// records the time series. Summing every PCP costs zones x CPUs, so this looks every 256
    /// operations, at most every hundredth of a sample interval.
    @inline(__always) func sample(_ m: Machine, operation n: Int, at t: Picoseconds, locks: LockPricer) {
        guard n & 255 == 0, (t - lastSample).value >= every.value / 100 else { return }
        takeSample(m, at: t, locks: locks)
    }

    /// The sample itself, out of line: the engine's loop pays only for the test above.
    @inline(never) private func takeSample(_ m: Machine, at t: Picoseconds, locks: LockPricer) {
        let pcp = m.pcpPagesTotal
        pcpPagesIntegral += Double(pcp) * Double((t - lastSample).value)
        pcpPagesPeak = max(pcpPagesPeak, pcp)
        if samples.isEmpty || (t - Picoseconds(truncatingSeconds: samples.last!.simSeconds)).value >= every.value {
            if samples.count >= Sampler.maxSamples { thin() }
            let nrFree = m.combinedNrFree
            samples.append(Engine.Sample(simSeconds: t.seconds, pcpPages: pcp,
                                         freePageblocks: Machine.freePageblocks(nrFree),
                                         unusableIndexOrder9: Fragmentation.unusableIndex(nrFree, order: K.pageblockOrder),
                                         zoneLockAcquisitions: locks.zone.acquisitions))
        }
        lastSample = t
    }

    /// Keeps every other point (the first included) and halves the sampling rate.
    private func thin() {
        samples = samples.indices.lazy.filter { $0 % 2 == 0 }.map { samples[$0] }
        every = Picoseconds(every.value.multipliedReportingOverflow(by: 2).overflow ? .max : every.value * 2)
    }

    /// Mean pages held on PCPs over the virtual time sampled so far.
    func pcpPagesMean(_ m: Machine) -> Double {
        lastSample > start ? pcpPagesIntegral / Double((lastSample - start).value) : Double(m.pcpPagesTotal)
    }

    var totals: Engine.OpCounts {
        ops.indices.reduce(into: Engine.OpCounts()) { t, c in
            let o = ops[c]
            t.allocs += o.allocs; t.failedAllocs += o.failedAllocs; t.frees += o.frees; t.idles += o.idles
            t.pagesAllocated += o.pagesAllocated; t.pagesFreed += o.pagesFreed
        }
    }
}

extension Sampler {
    func checkpoint(_ c: Checkpoint) throws(CheckpointError) {
        try c.section("sampler")
        try c.sync(ops)
        try c.sync(&every)
        try c.sync(&samples)
        try c.sync(&pcpPagesPeak)
        try c.sync(&pcpPagesIntegral)
        try c.sync(&start)
        try c.sync(&lastSample)
    }
}

extension Engine.Sample: CheckpointValue {
    public func write(to c: Checkpoint) {
        simSeconds.write(to: c); pcpPages.write(to: c); freePageblocks.write(to: c)
        unusableIndexOrder9.write(to: c); zoneLockAcquisitions.write(to: c)
    }
    public static func read(from c: Checkpoint) throws(CheckpointError) -> Engine.Sample {
        Engine.Sample(simSeconds: try .read(from: c), pcpPages: try .read(from: c), freePageblocks: try .read(from: c),
                      unusableIndexOrder9: try .read(from: c), zoneLockAcquisitions: try .read(from: c))
    }
}
