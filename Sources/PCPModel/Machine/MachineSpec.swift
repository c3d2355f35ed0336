/// A machine description: what `pcpsim machine` prints and `--machine FILE` reads.
public struct MachineSpec: Codable, Equatable, Sendable {
    public struct Node: Codable, Equatable, Sendable {
        /// All five zone types in order; unpopulated ones have present == 0.
        public var zones: [ZoneGeometry]
        public var cpus: [Int]
        public init(zones: [ZoneGeometry], cpus: [Int]) { self.zones = zones; self.cpus = cpus }
    }

    public var nodes: [Node]
    /// Per-CPU share of the last-level cache in KiB (cacheinfo's per_cpu_data_slice_size);
    /// sets PCPF_FREE_HIGH_BATCH when larger than 3 x batch pages. 0: not reported, as in a VM.
    public var cpuDataSliceKB: Int

    public init(nodes: [Node], cpuDataSliceKB: Int = 0) {
        self.nodes = nodes
        self.cpuDataSliceKB = cpuDataSliceKB
    }

    enum CodingKeys: String, CodingKey { case nodes, cpuDataSliceKB = "cpu_data_slice_kb" }

    public var cpuCount: Int { nodes.reduce(0) { $0 + $1.cpus.count } }

    /// Checks the geometry is one a kernel could have booted with.
    public func validate() throws(MachineError) {
        guard !nodes.isEmpty else { throw .invalid("a machine needs at least one node") }
        guard cpuCount > 0 else { throw .invalid("a machine needs at least one CPU") }
        guard cpuCount <= MachineSpec.maxCPUs else { throw .invalid("\(cpuCount) CPUs is more than the \(MachineSpec.maxCPUs) pcpsim supports") }
        let allCPUs = nodes.flatMap(\.cpus).sorted()
        guard allCPUs == Array(0..<cpuCount) else { throw .invalid("CPU ids must be 0..\(cpuCount - 1), each on exactly one node") }
        var lastEnd = 0
        for (nid, node) in nodes.enumerated() {
            guard node.zones.map(\.type) == ZoneType.allCases else {
                throw .invalid("node \(nid) must list the zones DMA, DMA32, Normal, Movable, Device in that order")
            }
            for z in node.zones {
                let name = "node \(nid) zone \(z.type.name)"
                guard z.startPFN >= 0, z.spanned >= 0, z.present >= 0, z.managed >= 0 else {
                    throw .invalid("\(name): negative geometry")
                }
                guard z.startPFN <= MachineSpec.maxPFN, z.spanned <= MachineSpec.maxPFN else {
                    throw .invalid("\(name): start_pfn \(z.startPFN) or spanned \(z.spanned) is beyond x86-64's 2^40 page frames")
                }
                guard z.present <= z.spanned, z.managed <= z.present else {
                    throw .invalid("\(name): need managed <= present <= spanned (got \(z.managed), \(z.present), \(z.spanned))")
                }
                guard z.spanned < 1 << 32 else { throw .invalid("\(name): spans more than 2^32 pages") }
                if z.present > 0 {
                    guard z.startPFN >= lastEnd else { throw .invalid("\(name): overlaps the zone before it") }
                    lastEnd = z.endPFN
                }
            }
        }
        guard nodes.contains(where: { $0.zones.contains { $0.managed > 0 } }) else {
            throw .invalid("no zone has managed pages")
        }
        guard spannedPages <= MachineSpec.maxPages else {
            throw .invalid("\(spannedPages) pages spanned: more than the 16 TiB pcpsim supports")
        }
    }

    /// The most CPUs a machine has (the kernel's CONFIG_NR_CPUS maximum).
    public static let maxCPUs = 8192
    /// x86-64's 52-bit physical addresses in 4 KiB frames.
    public static let maxPFN = 1 << 40
    /// The largest machine: 16 TiB of RAM, as `--memory` allows, and the hole below 4 GiB.
    public static let maxPages = 1 << 32 + 1 << 20

    /// Pages spanned by all zones: the model keeps state for each.
    public var spannedPages: Int { nodes.reduce(0) { $0 + $1.zones.reduce(0) { $0 + $1.spanned } } }

    /// About what the machine's state takes once a workload has touched every page: 12 bytes
    /// per spanned page (with its pageblock's share), the per-CPU lists and counters of every
    /// zone, and a fixed part. (Boot alone touches far less: the page store starts as zero pages.)
    public var estimatedBytes: Int { spannedPages * 12 + cpuCount * nodes.count * 5 * 4096 + 64 << 20 }
}

public enum MachineError: Error, Equatable, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let s): s }
    }
}

extension MachineSpec {
    static let gib = 1 << 30
    /// pfn where DMA32 starts and DMA ends (16 MiB).
    static let dma32StartPFN = 4096
    /// pfn 4 GiB: Normal starts above the PCI hole.
    static let normalStartPFN = 1 << 20
    /// RAM below 4 GiB stops at 3 GiB (the PCI hole), as on the reference 6.18 guest.
    static let lowRAMEndPFN = 3 << 18
    /// DMA as booted on x86-64: pfn 1-4095 spanned; 97 pages of legacy hole (640 KiB-1 MiB)
    /// make 3998 present, and firmware keeps 158 more, leaving 3840 managed.
    static let dmaZone = ZoneGeometry(type: .dma, startPFN: 1, spanned: 4095, present: 3998, managed: 3840)
    /// Pages of DMA32 the reference guest kept for itself (kernel image, initrd, early tables).
    static let dma32KernelReserve = 9419
    /// Pages of memory section (128 MiB) whose struct pages the memmap holds, 64 bytes each.
    static let sectionPages = 32768

    /// The x86-64 layout of a machine with `memory` bytes of RAM, as the reference guest has it:
    /// DMA below 16 MiB, DMA32 up to 3 GiB, the rest as Normal from 4 GiB, split evenly over
    /// nodes (node 0 holds DMA and DMA32). Each node's memmap (struct page array) is taken from
    /// its highest populated zone; managed = present - reserved.
    public static func x86(memory: Int, cpus: Int, nodes nrNodes: Int = 1, cpuDataSliceKB: Int = 0) throws(MachineError) -> MachineSpec {
        guard nrNodes >= 1, nrNodes <= 64 else { throw .invalid("--nodes must be between 1 and 64 (got \(nrNodes))") }
        guard cpus <= maxCPUs else { throw .invalid("--cpus must be at most \(maxCPUs) (got \(cpus))") }
        guard cpus >= nrNodes else { throw .invalid("--cpus must be at least --nodes: every node needs a CPU (got \(cpus) CPUs for \(nrNodes) nodes)") }
        let totalPages = memory >> K.pageShift
        guard totalPages >= 64 << 8 * nrNodes else {
            throw .invalid("--memory must be at least \(64 * nrNodes)M for \(nrNodes) node(s)")
        }
        guard memory <= 16 << 40 else { throw .invalid("--memory above 16T is not supported") }
        let perNode = totalPages / nrNodes
        var result: [Node] = []
        var nextPFN = normalStartPFN
        for nid in 0..<nrNodes {
            var zones = ZoneType.allCases.map { ZoneGeometry(type: $0, startPFN: 0, spanned: 0, present: 0, managed: 0) }
            var nodePages = perNode
            if nid == 0 {
                zones[0] = dmaZone
                let low = min(perNode, lowRAMEndPFN) - dma32StartPFN
                zones[1] = ZoneGeometry(type: .dma32, startPFN: dma32StartPFN, spanned: low, present: low,
                                        managed: low - dma32KernelReserve)
                nodePages = perNode - min(perNode, lowRAMEndPFN)
                if perNode > lowRAMEndPFN {
                    zones[1].spanned = normalStartPFN - dma32StartPFN
                }
            }
            if nodePages > 0 {
                zones[2] = ZoneGeometry(type: .normal, startPFN: nextPFN, spanned: nodePages, present: nodePages, managed: nodePages)
                nextPFN += nodePages
            }
            let present = zones.reduce(0) { $0 + $1.present }
            let sections = (present + sectionPages - 1) / sectionPages
            let memmap = sections * sectionPages * 64 / K.pageSize
            let top = zones.lastIndex { $0.managed > memmap } ?? 0
            zones[top].managed -= memmap
            let nodeCPUs = (0..<cpus).filter { $0 * nrNodes / cpus == nid }
            result.append(Node(zones: zones, cpus: nodeCPUs))
        }
        let spec = MachineSpec(nodes: result, cpuDataSliceKB: cpuDataSliceKB)
        try spec.validate()
        return spec
    }
}
