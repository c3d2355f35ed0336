/// Every workload by name, with its parameters and their defaults (what `--help` and the
/// README list).
public enum Workloads {
    public struct Info: Sendable {
        public let name: String
        public let summary: String
        public let params: [String]
    }

    public static let catalog: [Info] = [
        Info(name: "random", summary: "a seeded mix of allocations and frees over orders 0-10, every kind and CPU; any CPU frees",
             params: ["fill=70 (percent of memory held at most)", "max_order=10"]),
        Info(name: "fault-loop", summary: "will-it-scale page_fault1: each CPU faults N order-0 pages, then frees them locally",
             params: ["pages=32768 (per CPU and cycle)"]),
        Info(name: "jemalloc-purge", summary: "faults allocate on every CPU; K purger CPUs free the released memory in bursts",
             params: ["purgers=CPUs/8 (at least 1; the last CPUs)", "pages=512 (faulted per CPU before its arena releases them)", "burst=2048 (pages a purger frees per wake-up)",
                      "heap=50 (% of managed memory the heap may reach; then arenas reuse dirty pages)"]),
        Info(name: "exit-avalanche", summary: "several CPUs build large address spaces, then all exit at once (anon, page tables, the order-1 PGD last)",
             params: ["exiters=CPUs/4 (at least 1; the first CPUs)", "pages=16384 (anon pages per process)", "background=yes (fault-loop on the other CPUs)"]),
        Info(name: "one-allocator", summary: "one CPU allocates for everybody; the others free what it hands them",
             params: ["in_flight=2048 (pages queued per consumer)"]),
        Info(name: "producer-consumer", summary: "network-buffer style: producer CPUs allocate atomically, paired consumer CPUs free",
             params: ["order=0", "queue=1024 (buffers in flight per pair)"]),
        Info(name: "thp", summary: "order-9 THP faults on some CPUs against order-0 churn (anon and slab) on the others",
             params: ["thp_cpus=CPUs/4 (at least 1)", "thps=32 (THPs each keeps)", "churn=4096 (pages each churning CPU keeps)"]),
        Info(name: "contig", summary: "alloc_contig_range/hugetlb attempts on one CPU against churn on the others",
             params: ["order=9 (9, 10, or 18 for 1 GiB)", "every=2000 (operations between attempts)", "hold=4 (successful ranges kept before release)"]),
        Info(name: "kbuild", summary: "many short-lived processes: stacks, page tables, anon, page cache, slab",
             params: ["pages=1024 (anon pages per process)", "cache=25 (page cache cap, percent of memory)", "slab=50 (per mille of operations allocating slab)"]),
        Info(name: "fragmenter", summary: "keeps fragmenting: long-lived unmovable pages scattered among movable churn",
             params: ["unmovable=100 (per mille of held pages kept unmovable)", "fill=60 (percent of memory held)"]),
        Info(name: "fragment", summary: "fragment.c on CPU 0: map a region, free every other page, optionally compact_memory, then THP faults",
             params: ["mib=1024 (region size)", "compact=0 (1: write compact_memory after fragmenting)", "thps=0 (THP faults afterwards)",
                      "madvise=0 (1: the THP region is MADV_HUGEPAGE)"]),
        Info(name: "stream", summary: "dd through the page cache: readers stream a file sequentially in readahead folios; kswapd and direct reclaim keep up",
             params: ["file_mb=2x memory (file size in MiB)", "readers=1 (the first CPUs)", "order=9 (readahead folio order)", "rate=448 (disk MB/s)"]),
        Info(name: "lived-in", summary: "a server's uptime (what --age runs): page cache over a file set twice memory, long-lived and short-lived processes, slab",
             params: ["turnover=100 (simulated seconds to read memory's worth of files)", "anon=20 (percent of memory in long-lived processes)",
                      "slab=2 (percent of memory in unmovable slab)", "dcache=16 (pages read in per page of reclaimable slab)", "huge=50 (percent of files of 2 MiB or more read in order-9 folios)"]),
        Info(name: "memhog", summary: "processes fault in anonymous areas, then touch a hot fifth of them; --swap lets reclaim swap the rest; out of memory and swap the OOM killer ends one",
             params: ["procs=1 (the first CPUs)", "mb=1.5x memory / procs (area per process, MiB)", "hot=80 (percent of touches on the first fifth)",
                      "swap_us=20 (time a swap-in takes)"]),
        Info(name: "mix:A+B", summary: "two workloads at once; parameters as a.KEY / b.KEY",
             params: ["cpus=split (split: A on the first half, B on the rest; shared: both on every CPU)"]),
    ]

    public static var names: [String] { catalog.map(\.name) }

    /// Makes the named workload for the machine (all its CPUs).
    public static func make(_ name: String, machine m: Machine, params values: [String: String] = [:]) throws(WorkloadParams.Error) -> Workload {
        var params = WorkloadParams(values)
        let w = try make(name, m, .all(m), &params)
        try params.checkAllUsed(name)
        return w
    }

    static func make(_ name: String, _ m: Machine, _ cpus: CPUSet, _ p: inout WorkloadParams) throws(WorkloadParams.Error) -> Workload {
        let n = cpus.count
        switch name {
        case "random":
            return RandomMix(machine: m, fillPercent: try p.int("fill", 70, 1...95), maxOrder: try p.int("max_order", K.maxOrder, 0...K.maxOrder))
                .on(cpus, m)
        case "fault-loop":
            return FaultLoop(machine: m, pagesPerCPU: try p.int("pages", FaultLoop.defaultPagesPerCPU, 1...(1 << 30))).on(cpus, m)
        case "jemalloc-purge":
            return JemallocPurge(m, cpus, purgers: try p.int("purgers", max(1, n / 8), 1...max(1, n - 1)),
                                 pages: try p.int("pages", 512, 1...(1 << 30)), burst: try p.int("burst", 2048, 1...(1 << 30)),
                                 heapPercent: try p.int("heap", 50, 1...100))
        case "exit-avalanche":
            return ExitAvalanche(m, cpus, exiters: try p.int("exiters", max(1, n / 4), 1...n), pages: try p.int("pages", 16384, 1...(1 << 30)),
                                 background: try p.word("background", "yes", ["yes", "no"]) == "yes")
        case "one-allocator":
            return OneAllocator(m, cpus, inFlight: try p.int("in_flight", 2048, 1...(1 << 30)))
        case "producer-consumer":
            return ProducerConsumer(m, cpus, order: try p.int("order", 0, 0...K.maxOrder), queue: try p.int("queue", 1024, 1...(1 << 30)))
        case "thp":
            return THPFaults(m, cpus, thpCPUs: try p.int("thp_cpus", max(1, n / 4), 1...n), thps: try p.int("thps", 32, 1...(1 << 20)),
                             churn: try p.int("churn", 4096, 1...(1 << 30)))
        case "contig":
            return ContigAttempts(m, cpus, order: try p.int("order", 9, 9...18), every: try p.int("every", 2000, 1...(1 << 30)),
                                  hold: try p.int("hold", 4, 0...1024))
        case "kbuild":
            return KernelBuild(m, cpus, pages: try p.int("pages", 1024, 1...(1 << 30)), cachePercent: try p.int("cache", 25, 0...90),
                               slabPermille: try p.int("slab", 50, 0...1000))
        case "fragmenter":
            return Fragmenter(m, cpus, unmovablePermille: try p.int("unmovable", 100, 0...1000), fillPercent: try p.int("fill", 60, 1...95))
        case "fragment":
            return FragmentRegion(m, mib: try p.int("mib", 1024, 1...(1 << 24)), compact: try p.int("compact", 0, 0...1) == 1,
                                  thps: try p.int("thps", 0, 0...(1 << 24)), madvised: try p.int("madvise", 0, 0...1) == 1)
        case "stream":
            let managed = m.zones.reduce(0) { $0 + $1.managed }
            let mb = try p.int("file_mb", 2 * managed / 256, 1...(1 << 24))
            return Stream(m, cpus, filePages: mb * 256, readers: try p.int("readers", 1, 1...n), order: try p.int("order", K.hpagePMDOrder, 0...K.maxOrder),
                          rateMBs: try p.int("rate", 448, 1...1_000_000))
        case "lived-in":
            return LivedIn(m, turnoverSeconds: try p.int("turnover", 100, 1...1_000_000), anonPercent: try p.int("anon", 20, 0...60),
                           slabPercent: try p.int("slab", 2, 0...30), dcache: try p.int("dcache", 16, 1...1 << 20), hugePercent: try p.int("huge", 50, 0...100)).on(cpus, m)
        case "memhog":
            let managed = m.zones.reduce(0) { $0 + $1.managed }
            let procs = try p.int("procs", 1, 1...n)
            let mb = try p.int("mb", max(1, managed * 3 / 2 / procs / 256), 1...(1 << 24))
            return MemHog(m, cpus, procs: procs, pages: mb * 256, hotPercent: try p.int("hot", 80, 0...100),
                          swapInUs: try p.int("swap_us", 20, 0...1_000_000))
        default:
            guard name.hasPrefix("mix:"), let plus = name.firstIndex(of: "+") else {
                throw WorkloadParams.Error(description: "unknown workload '\(name)' (known: \(names.joined(separator: ", ")))")
            }
            let a = String(name[name.index(name.startIndex, offsetBy: 4)..<plus]), b = String(name[name.index(after: plus)...])
            let shared = try p.word("cpus", "split", ["split", "shared"]) == "shared"
            guard n >= 2 || shared else { throw WorkloadParams.Error(description: "mix:A+B with cpus=split needs at least 2 CPUs") }
            let (ca, cb) = shared ? (cpus, cpus) : (CPUSet(Array(cpus.cpus.prefix(n / 2))), CPUSet(Array(cpus.cpus.dropFirst(n / 2))))
            var pa = p.scoped("a"), pb = p.scoped("b")
            let wa = try make(a, m, ca, &pa), wb = try make(b, m, cb, &pb)
            try pa.checkAllUsed(a)
            try pb.checkAllUsed(b)
            p.markScopedUsed()
            return Mix(name: name, a: wa, b: wb, aCPUs: ca, bCPUs: cb, nrCPUs: m.nrCPUs)
        }
    }
}

extension WorkloadParams {
    mutating func markScopedUsed() {
        for k in values.keys where k.hasPrefix("a.") || k.hasPrefix("b.") { used.insert(k) }
    }
}

extension Workload {
    /// Restricts a whole-machine workload to a set of CPUs: the others idle.
    func on(_ cpus: CPUSet, _ m: Machine) -> Workload {
        cpus.count == m.nrCPUs ? self : Restricted(inner: self, cpus: cpus)
    }
}

/// A workload that runs only on some CPUs.
struct Restricted: Workload {
    var inner: Workload
    /// Per CPU: whether the workload runs there.
    let runsOn: [Bool]
    init(inner: Workload, cpus: CPUSet) {
        self.inner = inner
        var mask = [Bool](repeating: false, count: (cpus.cpus.max() ?? -1) + 1)
        for c in cpus.cpus { mask[c] = true }
        runsOn = mask
    }
    var name: String { inner.name }
    var finished: Bool { inner.finished }
    mutating func step(_ m: Machine, cpu: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation {
        cpu < runsOn.count && runsOn[cpu] ? try inner.step(m, cpu: cpu, &rng) : .idle(cpu)
    }
}

/// mix:A+B: two workloads, on split or shared CPUs (shared: they take turns on each CPU).
struct Mix: Workload {
    let name: String
    var a: Workload, b: Workload
    var finished: Bool { a.finished && b.finished }
    let inA: [Bool], inB: [Bool]
    var turn: [Bool]

    init(name: String, a: Workload, b: Workload, aCPUs: CPUSet, bCPUs: CPUSet, nrCPUs: Int) {
        self.name = name
        self.a = a
        self.b = b
        inA = (0..<nrCPUs).map { aCPUs.cpus.contains($0) }
        inB = (0..<nrCPUs).map { bCPUs.cpus.contains($0) }
        turn = Array(repeating: false, count: nrCPUs)
    }

    mutating func step(_ m: Machine, cpu: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation {
        let useB = inA[cpu] && inB[cpu] ? turn[cpu] : inB[cpu]
        turn[cpu].toggle()
        if useB { return try b.step(m, cpu: cpu, &rng) }
        return inA[cpu] ? try a.step(m, cpu: cpu, &rng) : .idle(cpu)
    }
}
