/// x86-64 constants of Linux 6.18 (include/linux/mmzone.h, pageblock-flags.h).
public enum K {
    public static let pageShift = 12
    public static let pageSize = 4096
    /// CONFIG_HZ of the reference kernel (fixtures/kernel-config-excerpt.txt): jiffies per second.
    public static let hz = 250
    /// MAX_THRESHOLD (mm/vmstat.c): the largest stat threshold, so the largest per-CPU delta.
    static let maxStatThreshold = 125
    /// MAX_PAGE_ORDER: orders 0...10.
    public static let maxOrder = 10
    public static let nrOrders = 11
    /// pageblock_order with HUGETLB_PAGE on x86-64.
    public static let pageblockOrder = 9
    public static let pageblockNrPages = 512
    /// HPAGE_PMD_ORDER, the THP order kept on PCP lists 12 and 13.
    public static let hpagePMDOrder = 9
    public static let costlyOrder = 3
    /// CONFIG_PCP_BATCH_SCALE_MAX default.
    public static let pcpBatchScaleMax = 5
    public static let minPercpuPagelistHighFraction = 8
    public static let swapClusterMax = 32
    /// NR_LOWORDER_PCP_LISTS (3 types x orders 0..3) + NR_PCP_THP.
    public static let nrLowOrderPCPLists = 12
    public static let nrPCPLists = 14
    public static let nrZoneTypes = 5
}

/// enum migratetype on a kernel without CONFIG_CMA and with MEMORY_ISOLATION (as the 6.18 fixture).
public enum MigrateType: Int, CaseIterable, Sendable {
    case unmovable = 0, movable = 1, reclaimable = 2, highAtomic = 3, isolate = 4

    /// MIGRATE_PCPTYPES: types with PCP lists.
    public static let pcpTypes = 3
    public static let count = 5

    /// migratetype_names[] as printed in /proc/pagetypeinfo.
    public var procName: String {
        switch self {
        case .unmovable: "Unmovable"
        case .movable: "Movable"
        case .reclaimable: "Reclaimable"
        case .highAtomic: "HighAtomic"
        case .isolate: "Isolate"
        }
    }
}

/// fallbacks[] of 6.18: the types each PCP type may take from, in order.
@inline(__always) func fallbackTypes(_ mt: Int) -> (Int, Int) {
    switch mt {
    case 0: (2, 1)  // UNMOVABLE -> RECLAIMABLE, MOVABLE
    case 1: (2, 0)  // MOVABLE -> RECLAIMABLE, UNMOVABLE
    default: (0, 1) // RECLAIMABLE -> UNMOVABLE, MOVABLE
    }
}

/// order_to_pindex() with THP enabled.
@inline(__always) public func orderToPindex(_ mt: Int, _ order: Int) -> Int {
    if order > K.costlyOrder { return K.nrLowOrderPCPLists + (mt == MigrateType.movable.rawValue ? 1 : 0) }
    return order * MigrateType.pcpTypes + mt
}

/// pindex_to_order().
@inline(__always) public func pindexToOrder(_ pindex: Int) -> Int {
    pindex < K.nrLowOrderPCPLists ? pindex / MigrateType.pcpTypes : K.hpagePMDOrder
}

/// pcp_allowed_order() with THP enabled.
@inline(__always) public func pcpAllowedOrder(_ order: Int) -> Bool {
    order <= K.costlyOrder || order == K.hpagePMDOrder
}

/// enum zone_type on x86-64 with ZONE_DEVICE.
public enum ZoneType: Int, CaseIterable, Sendable {
    case dma = 0, dma32, normal, movable, device
    public var name: String {
        switch self {
        case .dma: "DMA"
        case .dma32: "DMA32"
        case .normal: "Normal"
        case .movable: "Movable"
        case .device: "Device"
        }
    }
}

/// ALLOC_* flags of mm/internal.h.
public struct AllocFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let wmarkMin = AllocFlags([])
    public static let wmarkLow = AllocFlags(rawValue: 1)
    public static let wmarkHigh = AllocFlags(rawValue: 2)
    public static let noWatermarks = AllocFlags(rawValue: 0x4)
    public static let oom = AllocFlags(rawValue: 0x8)
    public static let nonBlock = AllocFlags(rawValue: 0x10)
    public static let minReserve = AllocFlags(rawValue: 0x20)
    public static let cpuset = AllocFlags(rawValue: 0x40)
    public static let cma = AllocFlags(rawValue: 0x80)
    public static let noFragment = AllocFlags(rawValue: 0x100)
    public static let highAtomic = AllocFlags(rawValue: 0x200)
    public static let noLock = AllocFlags(rawValue: 0x400)
    public static let kswapd = AllocFlags(rawValue: 0x800)
    public static let reserves: AllocFlags = [.nonBlock, .minReserve, .highAtomic, .oom]
    /// ALLOC_WMARK_MASK selects _watermark[].
    public var wmarkIndex: Int { Int(rawValue & 3) }
}

/// What an allocation is for: decides its migratetype, highest zone and the stat it feeds.
public enum AllocKind: Int, CaseIterable, Sendable {
    case anon = 0, file, slabReclaimable, slabUnreclaimable, pageTable, kernelStack, kernel, thp

    public static let count = 8

    /// gfp_migratetype() of the GFP mask this kind uses.
    public var migratetype: Int {
        switch self {
        case .anon, .file, .thp: MigrateType.movable.rawValue
        case .slabReclaimable: MigrateType.reclaimable.rawValue
        case .slabUnreclaimable, .pageTable, .kernelStack, .kernel: MigrateType.unmovable.rawValue
        }
    }

    /// A folio of this kind goes on an LRU list when allocated (lruAddNew): user and page cache
    /// memory, which reclaim and migration can find.
    @inline(__always) public var onLRU: Bool { self == .anon || self == .thp || self == .file }

    /// gfp_zone(): GFP_HIGHUSER_MOVABLE may use Movable; GFP_KERNEL stops at Normal.
    public var highestZoneIdx: Int {
        migratetype == MigrateType.movable.rawValue ? ZoneType.movable.rawValue : ZoneType.normal.rawValue
    }

    public var name: String {
        switch self {
        case .anon: "anon"
        case .file: "file"
        case .slabReclaimable: "slab_reclaimable"
        case .slabUnreclaimable: "slab_unreclaimable"
        case .pageTable: "page_table"
        case .kernelStack: "kernel_stack"
        case .kernel: "kernel"
        case .thp: "thp"
        }
    }
}
