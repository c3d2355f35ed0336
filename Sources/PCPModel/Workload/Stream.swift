/// `stream`: dd reading a file through the page cache (the lived-in-6.18 `stream` capture).
/// The first `readers` CPUs read one file sequentially, a readahead folio of `order` at a
/// time, each read taking the time `rate` MB/s gives it; at the end of the file they start
/// again. That time is the kernel's read path, system time: on the capture's VM dd's CPU spent
/// 97% of its time in system and under 1% in iowait (fixtures/lived-in-6.18/stream-stat). The
/// other CPUs are idle in slices of 100 µs (so kswapd, on the node's last CPU, runs when it is
/// woken). File pages come from the machine's page cache, so reclaim can
/// free them.
struct Stream: Workload {
    let name = "stream"
    let file: Int
    let pages: Int
    let order: Int
    /// Nanoseconds the disk takes per page read.
    let nsPerPage: Double
    let isReader: [Bool]
    var offset = 0
    /// Per reader: the read just issued still takes this long.
    var ioPending: [Int64]

    init(_ m: Machine, _ cpus: CPUSet, filePages: Int, readers: Int, order: Int, rateMBs: Int) {
        pages = filePages
        file = m.createFile(pages: filePages)
        self.order = order
        nsPerPage = Double(K.pageSize) * 1e9 / (Double(rateMBs) * 1_000_000)
        let r = Set(cpus.cpus.prefix(readers))
        isReader = (0..<m.nrCPUs).map { r.contains($0) }
        ioPending = Array(repeating: 0, count: m.nrCPUs)
    }

    mutating func step(_ m: Machine, cpu: Int, _ rng: inout SplitMix64) throws(FreeError) -> Operation {
        guard isReader[cpu] else { return .sleep(cpu, ns: 100_000) }
        if ioPending[cpu] > 0 {
            defer { ioPending[cpu] = 0 }
            return .busy(cpu, ns: ioPending[cpu])
        }
        let at = offset
        switch m.fileAccess(cpu: cpu, file: file, offset: at, order: order) {
        case .hit:
            offset = (at + 1) % pages
            return .busy(cpu, ns: 200)  // read(2) copying a cached page
        case let .miss(o, pfn):
            let n = 1 << o
            offset = ((at & ~(n - 1)) + n) % pages
            ioPending[cpu] = Int64(Double(n) * nsPerPage)
            return Operation(kind: .alloc, cpu: cpu, order: o, pfn: pfn)
        case .failed:
            return Operation(kind: .allocFailed, cpu: cpu, order: 0, pfn: -1)
        }
    }
}
